"""Payment provider gateways: plain functions returning our own dataclasses, raising
alliance.payments.errors. `stripe` is the online one (card, Alipay, WeChat Pay via Stripe);
domestic WeChat Pay v3 / Alipay gateways can sit beside it with the same shape.
"""
