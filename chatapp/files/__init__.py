"""Files: the one home of uploads, from the bytes on disk to the response that serves them.

- ``storage``: the upload folder, under names the server generates; the thumbnail rule.
- ``detection``: what an uploaded file is, from its content; cleaning file names.
- ``images``: decoding and thumbnails with Pillow.
- ``service``: ``post_file``, sending a file in a chat; ``files_in_chat``.
- ``views``: the ``files`` blueprint serving files, thumbnails and avatars.

Who may fetch a file is ``access.file_of_message``. This package imports nothing on import,
so services can use ``files.storage`` without loading the blueprint.
"""
