"""
The IRC front end: IRC clients (irssi, WeeChat, HexChat, bots) in the same
chat, sharing its rooms with C{twisted-chat} users, who see them as ordinary
members.

It speaks CAP 302 with the IRCv3 capabilities modern clients ask for
(L{twisted_chat.frontends.irc.registration.CAPABILITIES}: tags with
C{msgid}, C{TAGMSG}, labelled replies, away, account and real-name
notices, C{MONITOR}), NICK, USER, PASS (ignored), SASL PLAIN against
the same accounts as C{/login}, the welcome burst with ISUPPORT and a MOTD,
PING/PONG, JOIN (several channels, with keys), PART, PRIVMSG and NOTICE to
channels and nicks with CTCP ACTION as actions, TOPIC, NAMES, WHO, WHOIS,
WHOX, WHOWAS, LIST with ELIST, AWAY, USERHOST, ISON, LUSERS, MOTD, TIME,
INFO, VERSION, ADMIN, HELP, a server operator's STATS and QUIT; the chat's moderation as MODE (ranks
as C{~ @ +}, settings C{+imnstRkl}, bans and C{m:} mutes), KICK, INVITE,
OPER, KILL and WALLOPS; and replays a room's history on join with its
original times, or, for a client with C{draft/chathistory}, leaves it to
C{CHATHISTORY} (L{twisted_chat.frontends.irc.chathistory}).

L{twisted_chat.frontends.irc.factory} makes the connections and writes
events to many of them at once; L{twisted_chat.frontends.irc.protocol} is
one client's connection, L{twisted_chat.frontends.irc.registration} its
registration, L{twisted_chat.frontends.irc.commands} its commands,
L{twisted_chat.frontends.irc.queries} its questions (with
L{twisted_chat.frontends.irc.who} for WHO and
L{twisted_chat.frontends.irc.serverinfo} for those about the server) and
L{twisted_chat.frontends.irc.moderation} its commands that keep order
(L{twisted_chat.frontends.irc.channelmodes} a channel's MODE);
L{twisted_chat.frontends.irc.ircv3} its IRCv3 commands and
L{twisted_chat.frontends.irc.labels} its labelled replies;
L{twisted_chat.frontends.irc.render} is how events and replies look,
L{twisted_chat.frontends.irc.notify} how IRCv3's notifications do, and
L{twisted_chat.frontends.irc.ranks} how ranks and modes do.
"""
