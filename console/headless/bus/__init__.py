"""The bus's Unix-socket transport: the adapter behind core.bus's two ports.

`wire` frames messages (one JSON object a line), `server` is the gateway's end
(core.bus.GatewayBus), `client` a console's end (core.bus.ConsoleBus).
"""
