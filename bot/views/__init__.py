"""Telegram-free presentation: catalog texts, cards, lists, keyboards, typed callback data
and outbox renderers.

Services never import this package; handlers, outbox renderers and the web app turn the
plain results of services into what people read here.
"""
