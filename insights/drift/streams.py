"""Event kinds and the streams they are counted in."""

REG, WON, LOST, ACT, SAT = range(5)
COUNT_STREAMS = (REG, WON, LOST, ACT)
STREAM_KINDS: dict[str, int] = {
    "registered": REG,
    "won": WON,
    "lost": LOST,
    "certification": ACT,
    "training": ACT,
    "marketing": ACT,
    "satisfaction": SAT,
}
"""Event kind -> stream. Activities count events, not their ``amount`` (people trained,
spend): a partner that stops engaging stops having events, whatever their size."""
STREAM_METRIC = {REG: "registrations", WON: "deals", ACT: "activity"}
COMBINED = (REG, WON, ACT)
"""Count streams of the combined detector (lost deals enter only through the win rate: more of
them can mean more business as well as worse)."""
