"""Who does the work and how it passes between people and groups; where groups meet informally.

- :func:`people_report`: per person/group statistics, resource x activity matrix, workload,
  discovered roles, handover and working-together networks;
- :mod:`procatlas.people.networks`: the four networks of van der Aalst, Reijers and Song (2005);
- :func:`watering_holes`: informal cross-group venues and brokers from the message table.
"""

from procatlas.people.stats import people_report
from procatlas.people.watering import Criteria, watering_holes

__all__ = ["Criteria", "people_report", "watering_holes"]
