"""Chat with the bot: questions answered from the record, requests turned into proposals."""
