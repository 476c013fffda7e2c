/* chatapp chat page (after page.js, which opened the connection): the conversation, changing
 * chats in place beside it, and the group details panel. */
import * as conversation from "./chat/conversation.js";
import * as groupPanel from "./group-panel.js";
import * as switcher from "./switcher.js";

conversation.start();
switcher.install();
groupPanel.install();
