"""`smokejumper sandbox --web`: the emulated workspace as a page a person can drive."""
