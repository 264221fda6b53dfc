// What a typed line becomes: a JSON command for the server, or something
// the page does itself.
//
// The server parses slash commands (the terminal client's language, in
// wire/line.py) from a "Typed" command, so the page only decides where a
// line goes; it keeps for itself the few commands that are about the page
// (/more, /query, /close), as the terminal client keeps /more.

export const MAX_LINE_BYTES = 4096;
const encoder = new TextEncoder();

/**
 * Read one line typed in the compose box.
 *
 * @param line what was typed.
 * @param view the conversation shown ({name, isRoom}) or null.
 * @param room the room slash commands apply to (the view if a room, else
 *   the last room shown), or null.
 * @returns {send: command} | {local: name, argument} | {error: text} | null
 */
export function readLine(line, view, room) {
  if (line.trim() === "") return null;
  if (encoder.encode(line).length > MAX_LINE_BYTES) {
    return { error: `A line is at most ${MAX_LINE_BYTES} bytes (in UTF-8); shorten it.` };
  }
  if (line.startsWith("/") && !line.startsWith("//")) {
    const [word, ...rest] = line.slice(1).split(" ");
    const argument = rest.join(" ").trim();
    switch (word.toLowerCase()) {
      case "more":
        return { local: "more", argument };
      case "query":
        if (!argument) return { error: "Usage: /query NICK — opens a private conversation." };
        return { local: "query", argument: argument.split(" ")[0] };
      case "close":
        return { local: "close", argument };
      case "me":
        if (view !== null && !view.isRoom) {
          return { error: "Actions (/me) are for rooms; in a private conversation, say it." };
        }
        break;
    }
    const command = { command: "Typed", line };
    if (room !== null) command.room = room;
    return { send: command };
  }
  if (view === null) return { error: "Join a room first: /join #lobby" };
  if (view.isRoom && line.startsWith("//")) {
    // The server's parser turns "//x" into the text "/x" said in the room.
    return { send: { command: "Typed", room: view.name, line } };
  }
  const text = line.startsWith("//") ? line.slice(1) : line;
  return { send: { command: "Message", target: view.name, text } };
}

/**
 * What a typed account command will change if the server takes it, for
 * the page to log in again after a reconnection: {login: {nick,
 * password}} for /login, {register: password} for /register, {password:
 * new} for /password, or null.
 */
export function accountChange(line) {
  const [word, ...rest] = line.trim().split(/\s+/);
  switch (word.toLowerCase()) {
    case "/login":
      return rest.length === 2 ? { login: { nick: rest[0], password: rest[1] } } : null;
    case "/register":
      return rest.length === 1 ? { register: rest[0] } : null;
    case "/password":
      return rest.length === 2 ? { password: rest[1] } : null;
    default:
      return null;
  }
}
