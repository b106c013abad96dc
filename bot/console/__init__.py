"""The responder's console: card buttons and commands that ask for an action by hand."""
