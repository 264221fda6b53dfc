"""
The IRC front end: IRC clients (irssi, WeeChat, bots) in the same chat.
"""
