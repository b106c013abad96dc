"""The sandbox's world: local peers for Slack, Kubernetes, ServiceNow and PagerDuty, demo
alerts, the scripted story of `smokejumper sandbox` and the web page of `--web`."""
