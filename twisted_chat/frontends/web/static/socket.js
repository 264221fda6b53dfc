// The connection to the server: one WebSocket at a time, reopened with
// backoff when it drops, until told to stop.
//
// It knows nothing of chat: it hands each JSON event up, says when it
// opens and closes, and when it will try again.  What to send after a
// reconnection (logging in, resuming rooms) is the session's business.

export const SUBPROTOCOL = "twisted-chat.json";
const FIRST_DELAY = 1000;
const MAX_DELAY = 30000;

/** The /socket URL on the page's own origin (the CSP allows no other). */
export function socketURL(location) {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  return scheme + location.host + "/socket";
}

export class ChatSocket {
  /**
   * @param url where to connect.
   * @param handlers onOpen(), onEvent(object), onClose(wasOpen),
   *   onRetry(delayMs, attempt): each optional.
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.socket = null;
    this.attempt = 0;
    this.timer = null;
    this.stopped = true;
  }

  /** Connect now, and keep reconnecting until stop(). */
  start() {
    this.stopped = false;
    this.attempt = 0;
    this._open();
  }

  /** Whether a message sent now would go out. */
  get isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  send(message) {
    if (!this.isOpen) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** The session is established: the next drop starts the backoff afresh. */
  settled() {
    this.attempt = 0;
  }

  /** Close and do not come back (a final goodbye, or signing out). */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = null;
    if (this.socket !== null) this.socket.close(1000);
  }

  /** Try at once instead of waiting for the backoff (the "retry now" button). */
  retryNow() {
    if (this.stopped || this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
    this._open();
  }

  _open() {
    let wasOpen = false;
    const socket = new WebSocket(this.url, [SUBPROTOCOL]);
    this.socket = socket;
    socket.addEventListener("open", () => {
      wasOpen = true;
      this.handlers.onOpen?.();
    });
    socket.addEventListener("message", (message) => {
      if (typeof message.data !== "string") return;
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return; // Not ours to guess at; the server sends only JSON.
      }
      if (event !== null && typeof event === "object" && typeof event.event === "string") {
        this.handlers.onEvent?.(event);
      }
    });
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.handlers.onClose?.(wasOpen);
      if (!this.stopped) this._scheduleRetry();
    });
  }

  _scheduleRetry() {
    // 1 s doubling to 30 s, each wait drawn between half and all of it so
    // that pages cut off together do not all come back in the same instant.
    const ceiling = Math.min(MAX_DELAY, FIRST_DELAY * 2 ** this.attempt);
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.attempt += 1;
    this.handlers.onRetry?.(delay, this.attempt);
    this.timer = setTimeout(() => {
      this.timer = null;
      this._open();
    }, delay);
  }
}
