"""
The web client in a real headless Chromium, driven by Playwright's sync
API, against a real C{twistd -n chat --web} process and the real terminal
client: what a person does in the page.
"""
