"""The composition root: the only code that sees every layer. It builds the PTB Application with its
services, runs the web server and the dispatcher loop, and configures logging."""
