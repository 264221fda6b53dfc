"""C{python -m twisted_chat} runs the terminal client."""

from .script import run

if __name__ == "__main__":
    run()
