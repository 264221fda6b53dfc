"""C{python -m twisted_chat} runs the terminal client."""

from twisted_chat.client.script import run

if __name__ == "__main__":
    run()
