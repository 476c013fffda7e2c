"""The server from a checkout: ``python wsgi.py`` serves chatapp as ``chatapp serve`` does, and
gunicorn serves ``wsgi:app`` (``gunicorn -c deploy/gunicorn.conf.py wsgi:app``)."""

from chatapp import server  # first: importing it monkey-patches the process

app = server.load_app()

if __name__ == "__main__":
    server.main(app)
