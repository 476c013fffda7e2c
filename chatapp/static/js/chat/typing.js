/* chatapp "… is typing": who in this chat is typing now, from their `typing` events. A name
 * stays a few seconds after its last event, and goes at once when their message arrives. */
import { t } from "../strings.js";

const SHOWN = 4000;  // ms a name stays after the person's last `typing` event

/** The typing line ``line`` (an element) of a chat; ``meId`` is never shown. */
export function typingLine(line, meId) {
  const typists = new Map();  // user_id -> {name, timer}

  function show() {
    const names = Array.from(typists.values(), (entry) => entry.name);
    line.textContent = !names.length ? ""
      : names.length === 1 ? t("typing", { name: names[0] })
        : names.length === 2 ? t("typing_two", { one: names[0], two: names[1] })
          : t("typing_many");
  }

  function stop(userId) {
    const had = typists.get(userId);
    if (!had) return;
    clearTimeout(had.timer);
    typists.delete(userId);
    show();
  }

  return {
    /** A `typing` event of this chat. */
    typing(user) {
      if (!user || user.user_id === meId) return;
      const had = typists.get(user.user_id);
      if (had) clearTimeout(had.timer);
      typists.set(user.user_id, {
        name: user.user_name, timer: setTimeout(() => stop(user.user_id), SHOWN),
      });
      show();
    },
    stop,
    /** Forget everyone (the conversation closes). */
    clear() {
      typists.forEach((entry) => clearTimeout(entry.timer));
      typists.clear();
    },
  };
}
