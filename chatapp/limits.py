"""Every limit on what people send and ask for, defined once.

The columns (models.py), the input schemas (schemas.py), the forms, the services and the
page's script (the chat page's #chat-state carries them) all read them from here.
"""

# Lengths, in characters (code points) after trimming.
USER_NAME_MAX = 50
USER_EMAIL_MAX = 100
CHAT_NAME_MAX = 50
MSG_TEXT_MAX = 1000
FRIEND_NOTE_MAX = 200
SEARCH_QUERY_MAX = 200

# Different emoji one message may carry (each person gives each emoji once).
REACTIONS_MAX = 20
# Pinned messages one chat may have at once.
PINS_MAX = 50

# Page sizes: the default a client gets, and the most it may ask for.
HISTORY_PAGE = 50
HISTORY_PAGE_MAX = 100
CATCH_UP_PAGE = 100  # messages per chat in one catch_up answer
SEARCH_PAGE = 20
SEARCH_PAGE_MAX = 50
PEOPLE_PAGE_MAX = 50  # people search (friends)
