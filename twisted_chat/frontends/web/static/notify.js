// Desktop notifications for private messages and mentions: off until the
// person asks for them with a click (browsers allow the question only
// then, and an unasked-for prompt is rude).

export class Notifier {
  constructor(button) {
    this.button = button;
    this.supported = typeof Notification !== "undefined";
    if (!this.supported) return;
    this._update();
    button.addEventListener("click", async () => {
      await Notification.requestPermission();
      this._update();
    });
  }

  get enabled() {
    return this.supported && Notification.permission === "granted";
  }

  /** Show one, if allowed; clicking it brings the page and the conversation up. */
  notify(title, body, onClick) {
    if (!this.enabled) return;
    const notification = new Notification(title, { body, icon: "favicon.svg", tag: title });
    notification.addEventListener("click", () => {
      window.focus();
      onClick();
      notification.close();
    });
  }

  _update() {
    // Offer the button only while the question can still be asked.
    this.button.hidden = Notification.permission !== "default";
  }
}
