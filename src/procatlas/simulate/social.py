"""Customer posts and the care team's replies, shaped as Twitter/X API v2 tweet objects."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from procatlas.simulate.config import PRODUCT_LINES
from procatlas.simulate.context import Sim
from procatlas.simulate.text import iso_utc, jstr, json_objects, object_ids

TWITTER_EPOCH_MS = 1288834974657
COMPANY_USER_ID = 1400000000000000001
WITH_ORDER = ("My order {o} arrived damaged. Not happy at all.", "Still waiting for a fix on order {o}, who can help?",
              "Order {o}: wrong item in the box. Please sort this out.")
WITHOUT = ("The {l} set I bought broke after two days. Really disappointed.",
           "Third time asking: nobody answers about my broken {l} item.",
           "Terrible experience with your {l} range, parts missing.")
PRAISE = ("Loving my new {l} furniture, great quality!", "Quick delivery and friendly service, thanks!",
          "Best {l} gear I have bought in years.")
QUESTION = ("Do you ship {l} products abroad?", "When will the new {l} collection be in stock?",
            "Is there a warranty on {l} items?")
REPLY = ("@{h} Sorry to hear that! Please send us a DM with your order number and we will fix it.",
         "@{h} We are on it. Could you DM us your details?")
ANSWER = ("@{h} Thanks for asking! Our team has sent you the details.", "@{h} Yes, more info on our website.")


def _fill(rng, templates, n, line, order=None, handle=None):
    t = rng.integers(0, len(templates), n)
    return np.array([templates[k].format(o=order[i] if order is not None else "",
                                         l=PRODUCT_LINES[line[i]].lower(), h=handle[i] if handle is not None else "")
                     for i, k in enumerate(t)], dtype=object)


def posts(sim: Sim) -> tuple[pa.Array, int]:
    """JSON lines of all posts, time-ordered, and how many there are."""
    rng, cal = sim.rng, sim.cal
    c = sim.state["complaints"]
    s_i, rep_ts = c["reply"]
    n_s = len(s_i)
    cust = c["cust"][s_i]
    author = 1_000_000_000 + cust * 7919
    handle = np.char.add("cust_", cust.astype(str))
    so_ids = np.asarray(object_ids("sales_order", np.maximum(c["so"][s_i], 0)).to_pylist(), dtype=object)
    mention = c["mentions"][s_i]
    line = c["line"][s_i]
    text = np.where(mention, _fill(rng, WITH_ORDER, n_s, line, so_ids), _fill(rng, WITHOUT, n_s, line))
    # praise and questions from other customers, some questions answered
    n_other = int(round(n_s * 0.8)) + 5
    t_other = sim.arrivals(n_other, weekend=1.0, office_hours=False)
    o_line = rng.integers(0, len(PRODUCT_LINES), n_other)
    o_auth = 2_000_000_000 + rng.integers(0, 10 * n_other + 100, n_other) * 31
    is_q = rng.random(n_other) < 0.5
    o_text = np.where(is_q, _fill(rng, QUESTION, n_other, o_line), _fill(rng, PRAISE, n_other, o_line))
    answered = is_q & (rng.random(n_other) < 0.7)
    a_ts = cal.add_work(t_other[answered], rng.lognormal(np.log(5400), 0.8, int(answered.sum())))
    a_handle = np.char.add("user_", (o_auth[answered] // 31).astype(str))

    ts = np.concatenate([c["start"][s_i], rep_ts, t_other, a_ts])
    kind = np.concatenate([np.zeros(n_s), np.ones(n_s), np.full(n_other, 2), np.full(len(a_ts), 3)]).astype(np.int8)
    authors = np.concatenate([author, np.full(n_s, COMPANY_USER_ID), o_auth, np.full(len(a_ts), COMPANY_USER_ID)])
    texts = np.concatenate([text, _fill(rng, REPLY, n_s, line, handle=handle), o_text,
                            _fill(rng, ANSWER, len(a_ts), o_line[answered], handle=a_handle)])
    n = len(ts)
    utc_ms = (ts - cal.utc_offset(ts)) * 1000
    tweet_id = ((utc_ms - TWITTER_EPOCH_MS) << 22) | (np.arange(n) & 0x3FFFFF)
    root = np.concatenate([tweet_id[:n_s], tweet_id[:n_s], tweet_id[2 * n_s:2 * n_s + n_other],
                           tweet_id[2 * n_s:2 * n_s + n_other][answered]])
    parent_user = np.concatenate([np.zeros(n_s, np.int64), author, np.zeros(n_other, np.int64), o_auth[answered]])
    is_reply = (kind == 1) | (kind == 3)
    sim.state["post_of_complaint"] = (c["cmp"][s_i], tweet_id[:n_s])
    ids_s = pc.cast(pa.array(tweet_id), pa.string())
    root_s = pc.cast(pa.array(root), pa.string())
    ref = pc.binary_join_element_wise(pa.scalar('[{"type":"replied_to","id":"'), root_s, pa.scalar('"}]'), "")
    fields = [
        ("id", jstr(ids_s)),
        ("text", jstr(pa.array(texts.tolist(), pa.string()))),
        ("author_id", jstr(pc.cast(pa.array(authors), pa.string()))),
        ("created_at", jstr(iso_utc(cal, ts, ms=True))),
        ("conversation_id", jstr(root_s)),
        ("in_reply_to_user_id", pc.if_else(pa.array(is_reply), jstr(pc.cast(pa.array(parent_user), pa.string())),
                                           pa.scalar(None, pa.string()))),
        ("referenced_tweets", pc.if_else(pa.array(is_reply), ref, pa.scalar(None, pa.string()))),
        ("lang", pa.array(['"en"'] * n)),
    ]
    lines = json_objects(fields, n)
    order = np.lexsort((np.arange(n), ts))
    return pc.take(lines, pa.array(order)), n

