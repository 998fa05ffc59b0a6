"""Reading OCPP-J logs of every usual shape into frames with a time, a charger and a direction.

Readers stream: a file of any size is read a line (or, for a JSON array, a chunk) at a time.
A line that cannot be read becomes an `Unreadable` record with its reason; it never stops
the reading.
"""

from evfault.logs.formats import FORMATS, detect, read_records
from evfault.logs.records import Frame, Header, Link, Record, Unreadable

__all__ = ["FORMATS", "Frame", "Header", "Link", "Record", "Unreadable", "detect",
           "read_records"]
