/* chatapp: the scripts of every signed-in page (base.html loads this one module; the chat
 * page adds workspace.js). One module owns each concern:
 *   strings.js       the words, from the server's one catalog (chatapp/i18n.py)
 *   times.js         every time in the reader's zone and language
 *   connection.js    the tab's Socket.IO connection and catch-up after a reconnect
 *   unread.js        the unread badge, the tab title and desktop notifications
 *   refresh.js       pages that fetch themselves again when what they show changes
 *   profile-card.js, viewer.js, confirm.js, drafts.js: people's cards, the image viewer,
 *                    confirmations of destructive actions, unsent drafts
 *   chat/*.js        the conversation: its store, renderer, composer, typing and receipts
 * Nothing is shared through window: modules import what they use.
 */
import * as confirm from "./confirm.js";
import * as connection from "./connection.js";
import * as drafts from "./drafts.js";
import * as profileCard from "./profile-card.js";
import * as refresh from "./refresh.js";
import * as times from "./times.js";
import * as unread from "./unread.js";
import * as viewer from "./viewer.js";

times.start();
times.fillTimeZones();
confirm.install();
drafts.install();
profileCard.install();
viewer.install();
connection.start();
unread.start();
refresh.start();
