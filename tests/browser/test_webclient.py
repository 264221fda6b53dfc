"""
The web client as people use it: pages in a real Chromium talking to each
other and to the terminal client through a real server, which may crash.
"""

import json
import re

from playwright.sync_api import Page, WebSocketRoute

from .harness import BrowserTestCase, expect, nickColorIndex, shownLog

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none';"
    " form-action 'none'; frame-ancestors 'none'"
)


class ConversationTests(BrowserTestCase):
    def test_pagesAndTerminalClient(self) -> None:
        """
        Two pages and a twisted-chat terminal client talk in the lobby: each
        sees the others' messages and actions, the members with their
        nicks in the terminal client's colours.
        """
        server = self.startServer()
        carol = self.startTerminalClient(server, "carol")
        ann = self.signIn(server, "ann")
        bob = self.signIn(server, "bob")

        self.say(ann, "hello from the web")
        carol.waitFor(r"#lobby <ann> hello from the web$")
        expect(shownLog(bob).locator(".message").last).to_contain_text(
            "<ann> hello from the web"
        )

        carol.type("hi pages\n")
        for page in (ann, bob):
            last = shownLog(page).locator(".message").last
            expect(last).to_contain_text("<carol> hi pages")
            expect(last.locator(".nick")).to_have_class(
                re.compile(rf"\bnick-{nickColorIndex('carol')}\b")
            )

        self.say(bob, "/me waves")
        expect(shownLog(ann).locator(".message.action").last).to_contain_text(
            "* bob waves"
        )
        carol.waitFor(r"\* bob waves$")
        expect(ann.locator("#member-list")).to_contain_text("ann")
        expect(ann.locator("#member-list li")).to_have_count(3)
        for nick in ("ann", "bob", "carol"):
            expect(ann.locator(f"#member-list .nick[data-nick={nick}]")).to_have_class(
                re.compile(rf"\bnick-{nickColorIndex(nick)}\b")
            )
        self.screenshot(ann, "conversation")

    def test_privateMessage(self) -> None:
        """
        /msg from one page opens a private conversation in the other, counted
        as unread in the list and the title until it is read; the answer
        typed there goes back privately.
        """
        server = self.startServer()
        ann = self.signIn(server, "ann")
        bob = self.signIn(server, "bob")

        self.say(ann, "/msg bob psst, lunch?")
        conversation = bob.locator("#people-list .conversation", has_text="ann")
        expect(conversation.locator(".badge")).to_have_text("1")
        expect(bob).to_have_title(re.compile(r"^\(1\) "))
        conversation.click()
        expect(bob.locator("#view-title")).to_have_text("ann")
        expect(shownLog(bob).locator(".message.private")).to_have_text(
            re.compile(r"<ann> psst, lunch\?$")
        )
        expect(bob).to_have_title(re.compile(r"^ann — "))

        self.say(bob, "yes, at noon")
        expect(
            ann.locator("#people-list .conversation", has_text="bob")
        ).to_be_visible()
        ann.locator("#people-list .conversation", has_text="bob").click()
        expect(shownLog(ann).locator(".message.private")).to_have_text(
            [re.compile(r"<ann> psst, lunch\?$"), re.compile(r"<bob> yes, at noon$")]
        )
        self.screenshot(ann, "private")

    def test_signInRefused(self) -> None:
        """
        A nick someone has, or a wrong password, is refused on the sign-in
        form, in the server's words, and the form stays to try again.
        """
        server = self.startServer()
        self.signIn(server, "ann", register="anns-password")
        bob = self.openPage(server, "bob")
        bob.fill("#signin-nick", "ann")
        bob.click("#signin-guest")
        expect(bob.locator("#signin-error")).to_have_text(
            "The nick ann is taken; choose another."
        )
        bob.fill("#signin-password", "not-anns-password")
        bob.click("#signin-login")
        expect(bob.locator("#signin-error")).to_have_text("Wrong nick or password.")
        expect(bob.locator("#chat")).to_be_hidden()
        bob.fill("#signin-nick", "bob")
        bob.click("#signin-guest")
        expect(bob.locator("#view-title")).to_have_text("#lobby")

    def test_nickColoursAsTerminal(self) -> None:
        """
        The page gives every nick the colour the terminal client gives it:
        the same place in the same palette, whatever its case.
        """
        server = self.startServer()
        page = self.openPage(server, "page")
        nicks = [
            "ann",
            "Ann",
            "bob",
            "carol",
            "dave",
            "x",
            "[away]",
            "z^`{|}",
            "Guest42",
        ]
        indexes = page.evaluate(
            "async (nicks) => {"
            " const names = await import('./names.js');"
            " return nicks.map(names.nickColorIndex); }",
            nicks,
        )
        self.assertEqual(indexes, [nickColorIndex(nick) for nick in nicks])

    def test_notifications(self) -> None:
        """
        Once notifications are allowed, a private message and a mention in a
        room not shown each raise one; other messages do not.
        """
        server = self.startServer()
        ann = self.openPage(server, "ann", permissions=["notifications"])
        # Record notifications instead of showing them.
        ann.evaluate(
            "() => { window.notified = [];"
            " window.Notification = class extends window.Notification {"
            " constructor(title, options) { super(title, options);"
            " window.notified.push(title + ': ' + options.body); } }; }"
        )
        ann.fill("#signin-nick", "ann")
        ann.click("#signin-guest")
        expect(ann.locator("#view-title")).to_have_text("#lobby")
        expect(ann.locator("#notify")).to_be_hidden()
        bob = self.signIn(server, "bob")
        self.say(ann, "/join #dev")
        self.say(bob, "/join #dev")
        expect(ann.locator("#member-list li")).to_have_count(2)
        self.say(ann, "/join #lobby")
        expect(ann.locator("#view-title")).to_have_text("#lobby")

        self.say(bob, "/msg #dev just talking")
        self.say(bob, "/msg #dev ann: have a look?")
        self.say(bob, "/msg ann psst")
        expect(ann.locator("#people-list .conversation")).to_have_count(1)
        expect(ann.locator("#room-list .badge")).to_have_text("2")
        self.assertEqual(
            ann.evaluate("window.notified"),
            ["bob in #dev: ann: have a look?", "bob: psst"],
        )

    def test_operatorStats(self) -> None:
        """
        A server operator's /stats shows the server's figures in the page,
        each in words (the uptime in hours and minutes, the store in MiB).
        """
        first = self.startServer()
        self.signIn(first, "olga", register="olgas-password").close()
        first.kill()
        server = self.startServer("--oper", "olga")
        olga = self.openPage(server, "olga")
        olga.fill("#signin-nick", "olga")
        olga.fill("#signin-password", "olgas-password")
        olga.click("#signin-login")
        expect(olga.locator("#view-title")).to_have_text("#lobby")
        self.say(olga, "/stats")
        log = shownLog(olga)
        expect(log).to_contain_text("11 figures.")
        for shown in (
            re.compile(r"uptime: \d+ s"),
            "connections-web: 1",
            "members: 1",
            re.compile(r"store: \d+\.\d MiB"),
            re.compile(r"commit-p99: \d+\.\d\d ms"),
            "slow-readers: 0",
        ):
            expect(log).to_contain_text(shown)
        self.screenshot(olga, "stats")


class HistoryTests(BrowserTestCase):
    def test_scrollingUpLoadsOlder(self) -> None:
        """
        A room with 120 messages shows its last 50 on joining; scrolling to
        the top loads the pages before, until the first message, each
        message once and in order.
        """
        server = self.startServer("--flood-rate", "0")
        writer = self.connectLineClient(server, "writer")
        for n in range(1, 121):
            writer.say(f"message {n}")
            if n % 10 == 0:
                # Wait for the echo now and then: a stored message is
                # confirmed, and the server's input queue never fills up.
                writer.waitFor(rf"^MSG #lobby \d+ \S+ writer :message {n}\r?$")

        ann = self.signIn(server, "ann")
        log = shownLog(ann)
        messages = log.locator(".message")
        expect(messages).to_have_count(50)
        expect(messages.first).to_contain_text("message 71")

        for shown in (100, 120):
            log.evaluate("(log) => { log.scrollTop = 0; }")
            expect(messages).to_have_count(shown)
            expect(log).to_have_attribute("aria-busy", "false")
        expect(log.locator(".older")).to_have_text("This is the beginning of #lobby.")
        texts = [text.rsplit("> ", 1)[1] for text in messages.all_inner_texts()]
        self.assertEqual(texts, [f"message {n}" for n in range(1, 121)])
        sequences = [
            int(s) for s in messages.evaluate_all("(m) => m.map((e) => e.dataset.seq)")
        ]
        self.assertEqual(sequences, sorted(set(sequences)))

    def test_missedMessagesFilledIn(self) -> None:
        """
        Room messages the server left out (as it does for a page that fell
        behind) and then told of with Missed are fetched and shown in their
        place, once each, below a marker saying they were filled in.
        """
        lost: list[int] = []

        def leaveOut(socket: WebSocketRoute) -> None:
            # Between the page and the real server: what a slow reader
            # misses, the live "lost N" messages, is not passed on, and the
            # server's Missed for them comes once the last one is gone.
            server = socket.connect_to_server()

            def fromServer(message: str | bytes) -> None:
                event = json.loads(message)
                live = event.get("event") == "RoomMessage" and not event["history"]
                if not (live and event["text"].startswith("lost ")):
                    socket.send(message)
                    return
                lost.append(event["sequence"])
                if event["text"] == "lost 3":
                    missed = {"room": event["room"], "first": lost[0], "last": lost[-1]}
                    socket.send(json.dumps({"event": "Missed", **missed}))

            server.on_message(fromServer)

        def prepare(page: Page) -> None:
            page.route_web_socket(re.compile(r"/socket$"), leaveOut)

        server = self.startServer()
        ann = self.signIn(server, "ann", prepare=prepare)
        carol = self.connectLineClient(server, "carol")
        for line in ("live 1", "lost 1", "lost 2", "lost 3", "after"):
            carol.say(line)
        messages = shownLog(ann).locator(".message")
        expect(messages).to_have_count(5)
        texts = [text.rsplit("> ", 1)[1] for text in messages.all_inner_texts()]
        self.assertEqual(texts, ["live 1", "lost 1", "lost 2", "lost 3", "after"])
        self.assertEqual(len(lost), 3)
        marker = shownLog(ann).locator(".marker.filled")
        expect(marker).to_contain_text("3 messages missed")
        self.assertEqual(
            shownLog(ann)
            .locator(".entries > li")
            .evaluate_all(
                "(entries) => entries.map((e) => e.classList.contains('marker')"
                " ? 'marker' : e.dataset.seq && Number(e.dataset.seq))"
                ".filter((e) => e)"
            ),
            [lost[0] - 1, "marker", *lost, lost[-1] + 1],
        )


class ReconnectionTests(BrowserTestCase):
    def test_serverKilledAndRestarted(self) -> None:
        """
        The server is killed and started again on the same port and
        database: the page says it is reconnecting, comes back by itself,
        and shows what was said meanwhile exactly once, in order.
        """
        server = self.startServer()
        ann = self.signIn(server, "ann")
        # Registered as typed in the terminal client: the page keeps the
        # password to log in with when it comes back.
        self.say(ann, "/register anns-password")
        expect(ann.locator("#whoami")).to_contain_text("(logged in)")
        carol = self.startTerminalClient(server, "carol")
        carol.type("before 1\nbefore 2\n")
        messages = shownLog(ann).locator(".message")
        expect(messages.last).to_contain_text("<carol> before 2")

        server.kill()
        expect(ann.locator("#status")).to_contain_text("reconnecting")
        server = self.restartServer(server)
        dave = self.connectLineClient(server, "dave")
        for n in (1, 2, 3):
            dave.say(f"while away {n}")
        expect(ann.locator("#status")).to_contain_text("Reconnected", timeout=30_000)
        carol.waitFor(r"<dave> while away 3$")
        carol.type("after\n")

        expect(messages.last).to_contain_text("<carol> after")
        # Logged in again with the password the page kept: still ann.
        expect(ann.locator("#whoami")).to_have_text("You are ann (logged in)")
        self.say(ann, "back as ann")
        carol.waitFor(r"#lobby <ann> back as ann$")
        expect(messages.last).to_contain_text("<ann> back as ann")
        texts = [text.rsplit("> ", 1)[1] for text in messages.all_inner_texts()]
        self.assertEqual(
            texts,
            [
                "before 1",
                "before 2",
                "while away 1",
                "while away 2",
                "while away 3",
                "after",
                "back as ann",
            ],
        )
        sequences = [
            int(s) for s in messages.evaluate_all("(m) => m.map((e) => e.dataset.seq)")
        ]
        self.assertEqual(sequences, list(range(sequences[0], sequences[0] + 7)))
        self.screenshot(ann, "reconnected")


class SafetyTests(BrowserTestCase):
    def test_markupIsText(self) -> None:
        """
        A message that is HTML shows as its characters: no element is made
        of it, and its script never runs.
        """
        server = self.startServer()
        ann = self.signIn(server, "ann")
        bob = self.signIn(server, "bob")
        markup = "<img src=x onerror=alert(1)>"
        # A room of ann's own, where she may set the topic.
        self.say(ann, "/join #safe")
        self.say(bob, "/join #safe")
        expect(ann.locator("#member-list li")).to_have_count(2)
        self.say(ann, markup)
        self.say(ann, f"/topic {markup}")
        self.say(ann, f"/msg bob {markup}")
        expect(shownLog(bob).locator(".message .text").last).to_have_text(markup)
        expect(bob.locator("#view-topic")).to_have_text(markup)
        expect(
            bob.locator("#people-list .conversation", has_text="ann")
        ).to_be_visible()
        bob.locator("#people-list .conversation", has_text="ann").click()
        expect(shownLog(bob).locator(".message .text")).to_have_text(markup)
        expect(bob.locator("#logs img, #view-topic img")).to_have_count(0)
        self.assertEqual(self.dialogs, [])

    def test_contentSecurityPolicy(self) -> None:
        """
        The page is served under the strict policy and breaks none of it:
        no violation while signing in and chatting.
        """
        server = self.startServer()
        page = self.openPage(server, "ann")
        response = page.reload()
        assert response is not None
        self.assertEqual(response.headers.get("content-security-policy"), CSP)
        page.fill("#signin-nick", "ann")
        page.click("#signin-guest")
        expect(page.locator("#view-title")).to_have_text("#lobby")
        self.say(page, "hello")
        expect(shownLog(page).locator(".message").last).to_contain_text("<ann> hello")
        self.assertEqual(page.evaluate("window.cspViolations"), [])
        policy = [m for m in self.consoles["ann"] if "Content Security Policy" in m]
        self.assertEqual(policy, [])


class LayoutTests(BrowserTestCase):
    def test_keyboardOnly(self) -> None:
        """
        Ctrl+K then a room's name joins it; Alt+Up and Alt+Down move between
        the conversations; Enter sends to the one shown; Leave leaves it.
        """
        server = self.startServer()
        ann = self.signIn(server, "ann")
        ann.keyboard.press("Control+k")
        expect(ann.locator("#goto")).to_be_focused()
        ann.keyboard.type("#dev")
        ann.keyboard.press("Enter")
        expect(ann.locator("#view-title")).to_have_text("#dev")
        expect(ann.locator("#compose")).to_be_focused()
        ann.keyboard.press("Alt+ArrowUp")
        expect(ann.locator("#view-title")).to_have_text("#lobby")
        ann.keyboard.press("Alt+ArrowDown")
        expect(ann.locator("#view-title")).to_have_text("#dev")
        ann.keyboard.type("in dev")
        ann.keyboard.press("Enter")
        expect(shownLog(ann).locator(".message").last).to_contain_text("<ann> in dev")
        ann.click("#leave")
        expect(ann.locator("#view-title")).to_have_text("#lobby")
        expect(ann.locator("#room-list .conversation")).to_have_text(["#lobby"])
        expect(ann.locator("#compose")).to_be_focused()

    def test_phone(self) -> None:
        """
        On a phone-sized screen the room list folds behind a button, and
        picking a room from it folds it away again.
        """
        server = self.startServer()
        ann = self.signIn(server, "ann", viewport={"width": 390, "height": 760})
        self.say(ann, "/join #dev")
        expect(ann.locator("#view-title")).to_have_text("#dev")
        expect(ann.locator("#sidebar")).to_be_hidden()
        ann.click("#toggle-rooms")
        expect(ann.locator("#sidebar")).to_be_visible()
        ann.locator("#room-list .conversation", has_text="#lobby").click()
        expect(ann.locator("#view-title")).to_have_text("#lobby")
        expect(ann.locator("#sidebar")).to_be_hidden()
        self.screenshot(ann, "phone")
