"""kzelect: a linked-data record of Kazakhstan's Mazhilis elections of 2007 and 2012."""

__version__ = "0.1.0"
