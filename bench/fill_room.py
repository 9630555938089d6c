#!/usr/bin/env python3
"""Writes, as RESP for `redis-cli --pipe`, a room of TABS tabs on KEY (each its own user)
from TEMPLATE, one entry presenced wrote (an HGET after a real heartbeat): tab i last
seen so that it expires LEAD + i / RATE seconds from now (RATE 0: all LEAD from now).

    fill_room.py KEY TEMPLATE TABS RATE LEAD_S TTL_S > fill.resp
"""
import datetime
import re
import sys
import time

key, template = sys.argv[1], sys.argv[2]
tabs, rate, lead, ttl = (int(a) for a in sys.argv[3:7])
now_ms = int(time.time() * 1000)


def resp(*args):
    out = "*%d\r\n" % len(args)
    for a in args:
        out += "$%d\r\n%s\r\n" % (len(a.encode()), a)
    return out


for i in range(tabs):
    seen = now_ms - ttl * 1000 + lead * 1000 + (i * 1000 // rate if rate else 0)
    stamp = datetime.datetime.fromtimestamp(seen / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.")
    stamp += "%03dZ" % (seen % 1000)
    v = re.sub(r'"user_id":1,', '"user_id":%d,' % (1000 + i), template)
    v = re.sub(r'"user_name":"Seed"', '"user_name":"User %d"' % i, v)
    v = re.sub(r'"last_seen_at":"[^"]*"', '"last_seen_at":"%s"' % stamp, v)
    v = re.sub(r'"joined_us":\d+\}$', '"joined_us":%d}' % (now_ms * 1000 + i), v)
    sys.stdout.write(resp("HSET", key, "tab%05d" % i, v))
sys.stdout.write(resp("PEXPIRE", key, str(ttl * 1000)))
