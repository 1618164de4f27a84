"""Length limits of the structured content kinds, shared by validation, cards and templates.

Chosen from the work the seed articles describe: a slogan fits on an electronic board and a
square card; a guide step is a paragraph a citizen reads on a phone; titles fit Zalo's 150.
"""

SLOGAN_TEXT_MAX = 300
SLOGAN_SOURCE_MAX = 200
TAG_MAX = 40
TAGS_MAX = 10

TITLE_MAX = 150  # Zalo article titles stop at 150 characters
BULLETIN_SECTIONS_MAX = 12
SECTION_TITLE_MAX = 150
SECTION_BODY_MAX = 3000

GUIDE_SERVICE_MAX = 150
GUIDE_STEPS_MAX = 10  # one card per step, and Telegram albums hold 10
GUIDE_STEP_MAX = 500
GUIDE_ITEMS_MAX = 20  # documents needed
GUIDE_ITEM_MAX = 300
