"""Approve and Deny clicks on proposed actions, checked again at the moment of the click."""
