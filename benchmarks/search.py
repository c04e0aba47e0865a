"""Search benchmark: 1,000,000 listings of 1,000 merchants around seven Pakistani cities, a labelled query mix over
HTTP against the real web server (the Procfile's, one worker) and the very same statements as raw SQL, in one run.

Run from the repo root:

    .venv/bin/python benchmarks/search.py [--listings 1000000] [--merchants 1000] [--queries 2000] [--seed 6]
                                          [--keep] [--reuse NAME]

It never touches dev data: it derives a database `<name>_search` on the same server as DATABASE_URL (or the
embedded server of .data/embedded.env), drops and recreates it, migrates the shared apps and generates the public
index directly (search reads nothing else): the category tree of the demo plus four more roots, merchants (public
rows only, no tenant schemas), their branches (BranchListing) and listings = variant x branch, loaded with COPY into
an unlogged staging table and one INSERT ... SELECT with the index's own tsvector expression, indexes built after
the load. `--keep` keeps the database; `--reuse NAME` skips generation and measures an existing kept one (never
dropped).

Measured: a seeded mix of searches (common and rare words, two words, a typo, browse without text, root and leaf
categories, price ranges, in stock, delivery, offers; radius 2/5/10 km and a few 25/50; every sort; pages 1-3) from
customer locations drawn like the merchants (dense centres, sparse outskirts), after beat's refresh of the frequent
words' branch cells has run (timed, as a running deployment has it: branch_cells.word_cells_refresh):
1. HTTP: GET /api/v1/search on the Procfile's web server (1 worker), one keep-alive client (a minimal HTTP/1.1
   one), sequential; wall time per request, every answer must be 200;
2. raw SQL: for the same queries, `search_plan(SearchQuery(**params))` built in this process, executed on a plain
   psycopg connection (client-side binding, like Django's), timed from planning (its vocabulary lookups are
   statements too) to the last fetch; the two passes interleaved by blocks of 100 queries, each leading every other
   block (run_passes);
3. baseline, for a few classes: the plain row statement (every matching row counted, no per-branch summaries, no
   per-cell word index: what every search ran before) and the same without the H3 ring prefilter (haversine over
   every row).
Prints p50/p90/p99/max, the HTTP/SQL ratio, per-class figures, the EXPLAIN (ANALYZE, BUFFERS) of the slowest raw
SQL query, then markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import math
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("PLANCKLY_DEV", "1")

from benchmarks.provisioning import (  # noqa: E402 - needs ROOT on sys.path
    bench_database,
    bench_database_url,
    fmt_ms,
    machine_info,
    maintenance_connect,
    markdown_table,
    percentile,
    source_database_url,
    verdict,
    web_command,
)

GOAL_HTTP_P50_MS = 15.0
GOAL_HTTP_P99_MS = 60.0
GOAL_RATIO = 1.5
META_TABLE = "bench_search_meta"

# ---------------------------------------------------------------------------------------------------------------
# Where: cities, their dense centres and the sparse outskirts
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    name: str
    weight: float  # share of merchants (and of customers)
    lat: float
    lng: float
    sigma_km: float  # spread of the city around its centre
    centres: tuple[tuple[str, float, float], ...]  # markets where shops cluster


CITIES: tuple[City, ...] = (
    City(
        "Karachi",
        0.30,
        24.8607,
        67.0011,
        7.0,
        (
            ("Saddar", 24.8556, 67.0237),
            ("Clifton", 24.8138, 67.0300),
            ("Gulshan-e-Iqbal", 24.9180, 67.0971),
            ("North Nazimabad", 24.9420, 67.0390),
            ("DHA Karachi", 24.8000, 67.0650),
            ("Tariq Road", 24.8720, 67.0600),
        ),
    ),
    City(
        "Lahore",
        0.27,
        31.5204,
        74.3587,
        6.0,
        (
            ("Gulberg", 31.5102, 74.3443),
            ("DHA Lahore", 31.4700, 74.4000),
            ("Johar Town", 31.4690, 74.2840),
            ("Model Town", 31.4835, 74.3225),
            ("Anarkali", 31.5680, 74.3110),
            ("Iqbal Town", 31.5140, 74.2820),
        ),
    ),
    City(
        "Islamabad",
        0.10,
        33.6938,
        73.0652,
        4.0,
        (
            ("Blue Area", 33.7100, 73.0600),
            ("F-10 Markaz", 33.6950, 73.0130),
            ("G-9 Markaz", 33.6870, 73.0300),
            ("I-8 Markaz", 33.6680, 73.0750),
        ),
    ),
    City(
        "Rawalpindi",
        0.09,
        33.5973,
        73.0479,
        3.5,
        (
            ("Saddar Rawalpindi", 33.5950, 73.0520),
            ("Commercial Market", 33.6340, 73.0700),
            ("Raja Bazaar", 33.6150, 73.0600),
        ),
    ),
    City(
        "Faisalabad",
        0.09,
        31.4180,
        73.0790,
        4.0,
        (
            ("Clock Tower", 31.4180, 73.0790),
            ("D Ground", 31.4030, 73.1080),
            ("Susan Road", 31.4210, 73.1200),
        ),
    ),
    City(
        "Multan",
        0.08,
        30.1978,
        71.4697,
        3.5,
        (
            ("Hussain Agahi", 30.1990, 71.4750),
            ("Gulgasht", 30.2280, 71.4740),
            ("Multan Cantt", 30.1870, 71.4420),
        ),
    ),
    City(
        "Peshawar",
        0.07,
        34.0151,
        71.5249,
        3.5,
        (
            ("Saddar Peshawar", 34.0000, 71.5400),
            ("University Town", 34.0060, 71.4880),
            ("Hayatabad", 33.9930, 71.4350),
        ),
    ),
)


def offset_km(lat: float, lng: float, dx_km: float, dy_km: float) -> tuple[float, float]:
    return lat + dy_km / 110.574, lng + dx_km / (111.320 * math.cos(math.radians(lat)))


def place(rng: random.Random, city: City, *, centre: float, town: float) -> tuple[float, float, str]:
    """A point of `city`: P(centre) around one market (sigma 1.2 km), P(town) spread over the city, else the
    outskirts (8-25 km out). Returns (lat, lng, area name)."""
    u = rng.random()
    if u < centre:
        name, lat, lng = rng.choice(city.centres)
        lat, lng = offset_km(lat, lng, rng.gauss(0, 1.2), rng.gauss(0, 1.2))
        return lat, lng, name
    if u < centre + town:
        lat, lng = offset_km(city.lat, city.lng, rng.gauss(0, city.sigma_km), rng.gauss(0, city.sigma_km))
        return lat, lng, f"{city.name} town"
    angle, dist = rng.uniform(0, 2 * math.pi), rng.uniform(8, 25)
    lat, lng = offset_km(city.lat, city.lng, dist * math.cos(angle), dist * math.sin(angle))
    return lat, lng, f"{city.name} outskirts"


# ---------------------------------------------------------------------------------------------------------------
# What: categories, nouns (Zipf within a leaf), brands (real heads, a long synthetic tail), sizes
# ---------------------------------------------------------------------------------------------------------------

WEIGHT = ("250 g", "500 g", "1 kg", "2 kg", "5 kg", "10 kg")
VOLUME = ("250 ml", "500 ml", "1 litre", "1.5 litre", "3 litre", "5 litre")
PACK = ("Single", "Pack of 2", "Pack of 6", "Pack of 12", "Family pack", "Box of 24")
DOSE = ("Strip of 10", "Box of 100", "60 ml", "120 ml", "Bottle of 30", "Tube 20 g")
CLOTH = ("Small", "Medium", "Large", "XL", "XXL")
SHOE = ("Size 7", "Size 8", "Size 9", "Size 10", "Size 11")
COLOUR = ("Black", "White", "Blue", "Red", "Grey", "Green")
CAPACITY = ("32 GB", "64 GB", "128 GB", "256 GB", "1 TB")


@dataclass(frozen=True)
class Leaf:
    nouns: tuple[str, ...]  # most sold first
    brands: tuple[str, ...]
    sizes: tuple[str, ...]
    price: float  # median PKR
    flavours: tuple[str, ...] = ()


LEAVES: dict[str, Leaf] = {
    "fruits-vegetables": Leaf(
        (
            "potatoes",
            "onions",
            "tomatoes",
            "bananas",
            "apples",
            "mangoes",
            "lemons",
            "garlic",
            "ginger",
            "green chillies",
            "spinach",
            "cucumbers",
            "carrots",
            "guava",
            "kinnow",
            "peas",
            "cauliflower",
            "okra",
            "coriander",
            "mint",
            "grapes",
            "pomegranate",
            "watermelon",
            "dates",
            "strawberries",
            "avocado",
            "kiwi",
            "blueberries",
            "broccoli",
            "asparagus",
        ),
        (),
        WEIGHT,
        180,
    ),
    "dairy-eggs": Leaf(
        (
            "milk",
            "yogurt",
            "eggs",
            "butter",
            "cheese",
            "cream",
            "lassi",
            "paneer",
            "milk powder",
            "custard",
            "kheer",
            "raita",
            "mozzarella",
            "feta",
        ),
        ("Nestlé", "Olper's", "Nurpur", "Haleeb", "Adam's", "Dayfresh", "Prema", "Good Milk"),
        VOLUME,
        300,
        ("chocolate", "strawberry", "mango", "plain"),
    ),
    "rice-flour-pulses": Leaf(
        (
            "rice",
            "atta",
            "sugar",
            "daal",
            "flour",
            "chickpeas",
            "lentils",
            "oats",
            "besan",
            "maida",
            "suji",
            "vermicelli",
            "kidney beans",
            "barley",
            "quinoa",
            "millet",
        ),
        ("Guard", "Sunridge", "Falak", "Kernel", "Mehran", "Shan", "Quaker", "Fauji"),
        WEIGHT,
        650,
        ("basmati", "sella", "brown"),
    ),
    "cooking-oil-ghee": Leaf(
        (
            "cooking oil",
            "ghee",
            "canola oil",
            "sunflower oil",
            "olive oil",
            "banaspati",
            "mustard oil",
            "coconut oil",
            "corn oil",
            "avocado oil",
        ),
        ("Dalda", "Sufi", "Habib", "Eva", "Seasons", "Mezan", "Soya Supreme", "Kisan"),
        VOLUME,
        1400,
    ),
    "tea-beverages": Leaf(
        (
            "tea",
            "juice",
            "water",
            "cola",
            "coffee",
            "green tea",
            "energy drink",
            "squash",
            "syrup",
            "lemonade",
            "milkshake",
            "iced tea",
            "kombucha",
            "cold brew",
        ),
        ("Tapal", "Lipton", "Vital", "Nestlé", "Coca-Cola", "Pepsi", "Shezan", "Qarshi", "Nescafé", "Rooh Afza"),
        VOLUME,
        260,
        ("mango", "orange", "apple", "lemon", "peach", "mint"),
    ),
    "snacks-biscuits": Leaf(
        (
            "biscuits",
            "chips",
            "noodles",
            "cookies",
            "wafers",
            "nimko",
            "chocolate",
            "popcorn",
            "candy",
            "crackers",
            "nachos",
            "cake bars",
            "pretzels",
            "trail mix",
        ),
        ("Lay's", "Peek Freans", "LU", "Kurkure", "Knorr", "Cadbury", "Bisconni", "Kolson", "Oreo", "Slanty"),
        PACK,
        120,
        ("masala", "salted", "chocolate", "cheese", "chilli", "vanilla"),
    ),
    "spices-condiments": Leaf(
        (
            "masala",
            "salt",
            "ketchup",
            "chilli powder",
            "turmeric",
            "jam",
            "vinegar",
            "mayonnaise",
            "honey",
            "pickle",
            "soy sauce",
            "cumin",
            "black pepper",
            "cardamom",
            "saffron",
            "tahini",
        ),
        ("Shan", "National", "Mitchell's", "Young's", "Ahmed", "Knorr", "Mehran"),
        WEIGHT,
        240,
        ("biryani", "karahi", "tikka", "nihari", "korma"),
    ),
    "household-cleaning": Leaf(
        (
            "detergent",
            "washing powder",
            "dishwash",
            "toilet cleaner",
            "bleach",
            "floor cleaner",
            "tissue",
            "garbage bags",
            "air freshener",
            "insect killer",
            "glass cleaner",
            "fabric softener",
        ),
        ("Surf Excel", "Ariel", "Harpic", "Lemon Max", "Finis", "Rose Petal", "Mortein", "Comfort", "Dettol"),
        PACK,
        420,
        ("lemon", "rose", "lavender", "pine"),
    ),
    "personal-care": Leaf(
        (
            "shampoo",
            "soap",
            "toothpaste",
            "lotion",
            "face wash",
            "conditioner",
            "deodorant",
            "razor",
            "hair oil",
            "body wash",
            "toothbrush",
            "perfume",
            "sunscreen",
            "hair serum",
            "beard oil",
        ),
        (
            "Lux",
            "Safeguard",
            "Colgate",
            "Sunsilk",
            "Head & Shoulders",
            "Dove",
            "Pantene",
            "Nivea",
            "Lifebuoy",
            "Gillette",
            "Ponds",
            "Fair & Lovely",
        ),
        VOLUME,
        450,
        ("herbal", "aloe vera", "coconut", "charcoal"),
    ),
    "medicines": Leaf(
        (
            "tablets",
            "syrup",
            "paracetamol",
            "cough syrup",
            "antacid",
            "ors",
            "capsules",
            "antiallergic",
            "eye drops",
            "ibuprofen",
            "antibiotic",
            "nasal spray",
            "insulin",
            "antifungal cream",
        ),
        (
            "Panadol",
            "Brufen",
            "Disprin",
            "Arinac",
            "Rigix",
            "Softin",
            "Peditral",
            "ENO",
            "Gaviscon",
            "Flagyl",
            "Getz Pharma",
            "Searle",
            "Abbott",
            "GSK",
        ),
        DOSE,
        150,
    ),
    "first-aid": Leaf(
        (
            "bandage",
            "antiseptic",
            "plasters",
            "cotton",
            "masks",
            "gloves",
            "gauze",
            "thermometer",
            "ointment",
            "crepe bandage",
            "blood pressure monitor",
            "glucometer",
        ),
        ("Dettol", "Hansaplast", "Savlon", "Omron", "Polyfax", "Accu-Chek"),
        PACK,
        300,
    ),
    "vitamins-supplements": Leaf(
        (
            "multivitamin",
            "vitamin c",
            "calcium",
            "iron",
            "omega 3",
            "vitamin d",
            "protein powder",
            "zinc",
            "biotin",
            "collagen",
            "probiotic",
        ),
        ("Surbex", "CaC-1000", "Centrum", "Qalsium", "Nutrifactor", "Seven Seas", "Optimum Nutrition"),
        DOSE,
        900,
    ),
    "baby-care": Leaf(
        (
            "diapers",
            "wipes",
            "baby shampoo",
            "cerelac",
            "formula milk",
            "baby lotion",
            "feeder",
            "pacifier",
            "baby oil",
            "rash cream",
            "teether",
        ),
        ("Pampers", "Canbebe", "Johnson's", "Nestlé", "Huggies", "Molfix", "Chicco", "Mothercare"),
        PACK,
        1200,
    ),
    "breads-naan": Leaf(
        (
            "bread",
            "naan",
            "buns",
            "rolls",
            "paratha",
            "sheermal",
            "bakarkhani",
            "croissant",
            "baguette",
            "bagel",
            "sourdough",
            "focaccia",
        ),
        ("Dawn", "Bake Parlor", "Jalal Sons", "Gourmet"),
        PACK,
        160,
        ("milky", "brown", "garlic", "sesame"),
    ),
    "cakes-pastries": Leaf(
        (
            "cake",
            "pastry",
            "brownie",
            "donut",
            "cupcake",
            "muffin",
            "cream roll",
            "cheesecake",
            "tart",
            "eclair",
            "macarons",
            "tiramisu",
        ),
        ("Gourmet", "Jalal Sons", "Kitchen Cuisine", "Butlers"),
        PACK,
        900,
        ("chocolate", "pineapple", "vanilla", "red velvet", "coffee"),
    ),
    "rusks-biscuits": Leaf(
        ("rusk", "cake rusk", "nan khatai", "zeera biscuits", "puff", "khari", "biscotti"),
        ("Gourmet", "Dawn", "Jalal Sons"),
        WEIGHT,
        450,
    ),
    "savoury-bakes": Leaf(
        ("patties", "samosa", "sandwich", "pizza", "chicken puff", "spring rolls", "quiche", "shawarma", "empanada"),
        ("Gourmet", "Bundu Khan", "Kitchen Cuisine"),
        PACK,
        300,
        ("chicken", "beef", "vegetable", "cheese"),
    ),
    "mithai": Leaf(
        (
            "gulab jamun",
            "barfi",
            "ladoo",
            "jalebi",
            "rasgulla",
            "halwa",
            "chum chum",
            "rasmalai",
            "sohan halwa",
            "patisa",
        ),
        ("Nirala", "Rahat", "Gourmet", "Shireen"),
        WEIGHT,
        1100,
    ),
    "mobile-accessories": Leaf(
        (
            "phone case",
            "screen protector",
            "cable",
            "phone holder",
            "selfie stick",
            "stylus",
            "ring light",
            "tripod",
            "sim ejector",
        ),
        ("UGREEN", "Baseus", "Spigen", "Anker", "Ronin", "Faster", "Samsung", "Apple"),
        COLOUR,
        900,
    ),
    "chargers-power-banks": Leaf(
        ("charger", "power bank", "adapter", "wireless charger", "car charger", "gan charger", "charging dock"),
        ("Anker", "Baseus", "Samsung", "Faster", "Xiaomi", "Ronin", "Apple", "Oraimo"),
        CAPACITY,
        3500,
    ),
    "audio": Leaf(
        (
            "earbuds",
            "headphones",
            "speaker",
            "handsfree",
            "earphones",
            "soundbar",
            "microphone",
            "neckband",
            "turntable",
        ),
        ("Audionic", "JBL", "Xiaomi", "Samsung", "Ronin", "Sony", "Oraimo", "Lenovo", "Anker"),
        COLOUR,
        5500,
    ),
    "computer-accessories": Leaf(
        (
            "mouse",
            "keyboard",
            "hdmi cable",
            "usb hub",
            "webcam",
            "mouse pad",
            "laptop stand",
            "router",
            "cooling pad",
            "graphics tablet",
        ),
        ("Logitech", "A4Tech", "HP", "Dell", "TP-Link", "Tenda", "Redragon", "UGREEN"),
        COLOUR,
        3000,
    ),
    "wearables": Leaf(
        ("smart watch", "fitness band", "smart ring", "kids watch"),
        ("Xiaomi", "Ronin", "Samsung", "Huawei", "Zero", "Haylou", "Amazfit"),
        COLOUR,
        9000,
    ),
    "storage": Leaf(
        ("usb drive", "memory card", "sd card", "hard drive", "ssd", "card reader"),
        ("SanDisk", "Kingston", "Samsung", "Transcend", "Seagate", "WD"),
        CAPACITY,
        3500,
    ),
    "cookware": Leaf(
        ("pan", "pot", "pressure cooker", "karahi", "tawa", "wok", "frying pan", "cake mould", "dutch oven"),
        ("Sonex", "Prestige", "Tefal", "Diamond", "Ambassador"),
        CLOTH,
        3500,
    ),
    "kitchen-storage": Leaf(
        ("lunch box", "jar", "water bottle", "thermos", "container", "spice rack", "bread box"),
        ("Lion Star", "Tupperware", "Appollo", "Milton", "Sonex"),
        PACK,
        900,
    ),
    "cleaning-tools": Leaf(
        ("mop", "broom", "sponge", "bucket", "wiper", "scrubber", "dustpan", "squeegee"),
        ("Scotch-Brite", "Appollo", "Vileda"),
        PACK,
        450,
    ),
    "lighting": Leaf(
        ("led bulb", "torch", "lamp", "tube light", "emergency light", "fairy lights", "solar light"),
        ("Philips", "Osram", "Pak Fan", "Super Asia", "Energizer"),
        PACK,
        800,
    ),
    "bedding": Leaf(
        ("bedsheet", "pillow", "blanket", "towel", "quilt", "cushion", "mattress protector"),
        ("Gul Ahmed", "Alkaram", "Chenone", "Nishat Linen", "Diamond Foam"),
        CLOTH,
        2800,
    ),
    "mens-clothing": Leaf(
        (
            "kurta",
            "shalwar kameez",
            "t-shirt",
            "shirt",
            "trousers",
            "jeans",
            "waistcoat",
            "jacket",
            "hoodie",
            "sherwani",
        ),
        ("Bonanza", "J.", "Outfitters", "Cambridge", "Edenrobe", "Diners", "Charcoal"),
        CLOTH,
        3500,
    ),
    "womens-clothing": Leaf(
        ("lawn suit", "kurti", "dupatta", "abaya", "shawl", "trousers", "frock", "chiffon suit", "co-ord set"),
        ("Khaadi", "Sapphire", "Gul Ahmed", "Alkaram", "Limelight", "Nishat", "Sana Safinaz"),
        CLOTH,
        4500,
    ),
    "footwear": Leaf(
        ("chappal", "sandals", "sneakers", "shoes", "slippers", "khussa", "peshawari chappal", "loafers", "boots"),
        ("Bata", "Servis", "Stylo", "Borjan", "Hush Puppies", "Metro", "Ndure"),
        SHOE,
        3800,
    ),
    "bags": Leaf(
        ("handbag", "backpack", "wallet", "clutch", "travel bag", "laptop bag", "duffel bag"),
        ("Hang Ten", "Stylo", "Borjan", "Metro", "Samsonite"),
        COLOUR,
        3000,
    ),
    "jewellery": Leaf(
        ("bangles", "earrings", "ring", "necklace", "anklet", "bracelet", "tikka"),
        ("Stylo", "Jewel Box", "Kiran"),
        COLOUR,
        1500,
    ),
    "notebooks": Leaf(
        ("notebook", "register", "diary", "copy", "sketchbook", "planner"),
        ("Oxford", "Paper One", "Dollar", "Classmate"),
        PACK,
        250,
    ),
    "pens-pencils": Leaf(
        ("pen", "pencil", "marker", "highlighter", "eraser", "sharpener", "gel pen", "fountain pen"),
        ("Dollar", "Piano", "Picasso", "Faber-Castell", "Staedtler", "Pelikan"),
        PACK,
        120,
    ),
    "art-supplies": Leaf(
        ("colours", "crayons", "paint", "brushes", "canvas", "clay", "oil pastels"),
        ("Faber-Castell", "Pelikan", "Dollar", "Camel"),
        PACK,
        650,
    ),
    "office-supplies": Leaf(
        ("stapler", "file", "envelope", "tape", "glue", "calculator", "printer paper", "paper clips", "punch"),
        ("Dollar", "Casio", "Double A", "Deli", "UHU"),
        PACK,
        400,
    ),
    "school-supplies": Leaf(
        ("school bag", "geometry box", "pencil box", "lunch bag", "water bottle", "uniform"),
        ("Dollar", "Classmate", "Sonex"),
        COLOUR,
        1500,
    ),
    "pet-food": Leaf(
        ("cat food", "dog food", "bird seed", "fish food", "treats", "kitten food"),
        ("Whiskas", "Pedigree", "Royal Canin", "Reflex", "Me-O"),
        WEIGHT,
        1800,
    ),
    "pet-care": Leaf(
        ("cat litter", "pet shampoo", "flea treatment", "collar", "leash", "pet bed"),
        ("Bioline", "Beaphar", "Trixie"),
        PACK,
        1200,
    ),
    "pet-toys": Leaf(("ball", "chew toy", "scratching post", "cat teaser", "rope toy"), ("Trixie", "Kong"), PACK, 700),
    "aquarium": Leaf(
        ("aquarium", "aquarium filter", "gravel", "air pump", "fish tank heater"),
        ("Sobo", "Tetra", "RS Electrical"),
        PACK,
        3500,
    ),
}

# The demo's four roots (tenants/demo_data.CATEGORIES) plus four more, five leaves each.
EXTRA_CATEGORIES: tuple[tuple[str, str, str | None], ...] = (
    ("home-kitchen", "Home & Kitchen", None),
    ("cookware", "Cookware", "home-kitchen"),
    ("kitchen-storage", "Kitchen Storage", "home-kitchen"),
    ("cleaning-tools", "Cleaning Tools", "home-kitchen"),
    ("lighting", "Lighting", "home-kitchen"),
    ("bedding", "Bedding & Bath", "home-kitchen"),
    ("fashion", "Fashion", None),
    ("mens-clothing", "Men's Clothing", "fashion"),
    ("womens-clothing", "Women's Clothing", "fashion"),
    ("footwear", "Footwear", "fashion"),
    ("bags", "Bags & Wallets", "fashion"),
    ("jewellery", "Jewellery", "fashion"),
    ("stationery", "Stationery", None),
    ("notebooks", "Notebooks & Paper", "stationery"),
    ("pens-pencils", "Pens & Pencils", "stationery"),
    ("art-supplies", "Art Supplies", "stationery"),
    ("office-supplies", "Office Supplies", "stationery"),
    ("school-supplies", "School Supplies", "stationery"),
    ("pets", "Pets", None),
    ("pet-food", "Pet Food", "pets"),
    ("pet-care", "Pet Care", "pets"),
    ("pet-toys", "Pet Toys", "pets"),
    ("aquarium", "Aquarium", "pets"),
)

# Kinds of shop: share of merchants, the roots they sell from (weights), names.
KINDS: dict[str, tuple[float, dict[str, float], tuple[str, ...]]] = {
    "grocery": (
        0.34,
        {"grocery": 0.88, "home-kitchen": 0.05, "bakery": 0.04, "pets": 0.03},
        ("Mart", "Super Store", "Kiryana", "Cash & Carry", "Grocers", "Fresh Mart"),
    ),
    "pharmacy": (0.15, {"pharmacy": 0.85, "grocery": 0.15}, ("Pharmacy", "Medical Store", "Chemists")),
    "bakery": (0.10, {"bakery": 0.90, "grocery": 0.10}, ("Bakers", "Sweets & Bakers", "Bakery")),
    "electronics": (0.12, {"electronics": 0.95, "home-kitchen": 0.05}, ("Mobile Zone", "Electronics", "Gadgets")),
    "home": (0.08, {"home-kitchen": 0.80, "grocery": 0.20}, ("Home Store", "Crockery House", "Homes")),
    "fashion": (0.11, {"fashion": 1.0}, ("Collection", "Boutique", "Shoes", "Fashion")),
    "stationery": (0.06, {"stationery": 0.90, "electronics": 0.10}, ("Stationers", "Book Depot", "Paper House")),
    "pets": (0.04, {"pets": 0.90, "grocery": 0.10}, ("Pet Shop", "Pets & Aquarium")),
}
SHOP_WORDS = (
    "Al-Madina",
    "Bismillah",
    "Rehmat",
    "Al-Noor",
    "Shifa",
    "Care Plus",
    "Sehat",
    "Khalis",
    "Taza",
    "Kisan",
    "Butt",
    "Crust",
    "Digital",
    "Techno",
    "Star",
    "City",
    "Royal",
    "Friends",
    "Faisal",
    "Hamza",
    "Ali",
    "Usman",
    "Zam Zam",
    "Al-Fatah",
    "Imtiaz",
    "Chase",
    "Metro",
    "Punjab",
    "Sindh",
    "Frontier",
    "Capital",
    "Pak",
    "New",
    "Green",
    "Sunrise",
    "Moon",
    "Galaxy",
    "Prime",
    "Smart",
    "Family",
    "Awami",
    "Haji",
    "Janjua",
    "Qureshi",
)
MODIFIERS = (
    "fresh",
    "premium",
    "classic",
    "super",
    "extra",
    "original",
    "family",
    "desi",
    "organic",
    "imported",
    "special",
    "natural",
    "pure",
    "gold",
    "ultra",
    "mini",
    "jumbo",
    "lite",
    "deluxe",
    "instant",
    "crispy",
    "soft",
    "smart",
    "pro",
    "eco",
    "wireless",
    "handmade",
    "vintage",
)
TAGS = ("halal", "organic", "imported", "local", "sugar free", "gluten free", "bestseller", "new", "eco friendly")
DESCRIPTION_TAILS = (
    "for everyday use.",
    "delivered fresh daily.",
    "at the best price in town.",
    "with one year warranty.",
    "imported quality.",
    "made in Pakistan.",
    "value pack for the whole family.",
    "a customer favourite.",
    "sourced from trusted suppliers.",
    "limited stock, order today.",
)
_SYLLABLES = (
    "al",
    "zar",
    "mah",
    "noor",
    "pak",
    "shah",
    "ra",
    "bel",
    "ki",
    "zen",
    "ta",
    "mir",
    "lo",
    "vi",
    "sa",
    "ha",
    "qa",
    "fi",
    "da",
    "ro",
    "nu",
    "ga",
    "ze",
    "ban",
    "dor",
    "kar",
    "lan",
    "mon",
    "tex",
    "vo",
    "zu",
    "ya",
    "rim",
    "jo",
    "sti",
    "kel",
    "om",
    "pri",
    "vex",
    "tul",
)
SYNTHETIC_BRANDS = 4000
STOPWORDS = {"of", "and", "the", "for", "with", "a", "in", "to", "s", "j"}


def zipf_cum(n: int, s: float = 1.0) -> list[float]:
    total, cum = 0.0, []
    for rank in range(1, n + 1):
        total += 1.0 / rank**s
        cum.append(total)
    return cum


def synthetic_brands(rng: random.Random, n: int) -> list[str]:
    names: dict[str, None] = {}
    while len(names) < n:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 3, 3))))
        if 5 <= len(word) <= 10:
            names[word.capitalize()] = None
    return list(names)


def words_of(text: str) -> list[str]:
    return [w for w in re.findall(r"[^\W_]+", text.lower()) if len(w) >= 3 and not w.isdigit() and w not in STOPWORDS]


def money(value: float) -> Decimal:
    return Decimal(str(max(value, 1.0))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class ShopSpec:
    id: int = 0
    slug: str = ""
    name: str = ""
    kind: str = ""
    city: City = CITIES[0]
    branches: int = 1
    variants: int = 0


def catalogue_sizes(rng: random.Random, n_merchants: int, n_listings: int) -> tuple[list[int], list[int]]:
    """Branches (1-3, chains are the big catalogues) and variants per merchant so that sum(variants x branches)
    is `n_listings`: log-normal catalogue sizes, median a few hundred, a few merchants with several thousand."""
    raw = [rng.lognormvariate(0, 1.0) for _ in range(n_merchants)]
    order = sorted(range(n_merchants), key=lambda i: raw[i])
    branches = [1] * n_merchants
    for rank, i in enumerate(order):  # bigger catalogue, more branches
        q = rank / max(1, n_merchants - 1)
        branches[i] = rng.choices((1, 2, 3), weights=(0.75 - 0.5 * q, 0.2 + 0.2 * q, 0.05 + 0.3 * q))[0]
    scale = n_listings / sum(r * b for r, b in zip(raw, branches, strict=True))
    variants = [max(10, min(9000, round(r * scale))) for r in raw]
    for _ in range(50):  # clamping moved the total: rescale the unclamped ones
        total = sum(v * b for v, b in zip(variants, branches, strict=True))
        if abs(total - n_listings) < n_merchants:
            break
        free = [i for i in range(n_merchants) if 10 < variants[i] < 9000]
        free_total = sum(variants[i] * branches[i] for i in free)
        factor = (n_listings - (total - free_total)) / max(1, free_total)
        for i in free:
            variants[i] = max(10, min(9000, round(variants[i] * factor)))
    diff = n_listings - sum(v * b for v, b in zip(variants, branches, strict=True))
    singles = sorted((i for i in range(n_merchants) if branches[i] == 1), key=lambda i: -variants[i])
    for k in range(abs(diff)):  # exact total: one variant more or less at single-branch merchants
        i = singles[k % len(singles)]
        variants[i] += 1 if diff > 0 else -1
    return branches, variants


def generate(args: argparse.Namespace, timings: dict[str, float]) -> dict[str, Any]:
    """Fill the bench database; returns the meta (vocabulary, counts) also stored in META_TABLE."""
    import psycopg
    from django.db import connection

    from demo import data as demo_data
    from marketplace.discovery.geo import cells_of
    from marketplace.discovery.search_text import search_terms_refresh
    from shared_apps.categories.models import Category
    from tenants.models import Merchant

    rng = random.Random(f"planckly-search-bench:{args.seed}")
    started = time.perf_counter()

    # -- categories ----------------------------------------------------------------------------------------------
    specs = [(c.slug, c.name, c.parent) for c in demo_data.CATEGORIES] + list(EXTRA_CATEGORIES)
    ids: dict[str, int] = {}
    for position, (slug, name, parent) in enumerate(specs):
        ids[slug] = Category.objects.create(
            slug=slug, name=name, parent_id=ids[parent] if parent else None, position=position
        ).pk
    parents = {slug: parent for slug, _, parent in specs}
    names = {slug: name for slug, name, _ in specs}
    leaves_by_root: dict[str, list[str]] = defaultdict(list)
    for slug, _, parent in specs:
        if parent:
            leaves_by_root[parent].append(slug)
    missing = [leaf for leaves in leaves_by_root.values() for leaf in leaves if leaf not in LEAVES]
    assert not missing, f"no vocabulary for {missing}"

    # -- merchants and branches ----------------------------------------------------------------------------------
    branches_n, variants_n = catalogue_sizes(rng, args.merchants, args.listings)
    kinds = list(KINDS)
    kind_cum = list(_cum([KINDS[k][0] for k in kinds]))
    city_cum = list(_cum([c.weight for c in CITIES]))
    shops: list[ShopSpec] = []
    used_names: Counter[str] = Counter()
    for i in range(args.merchants):
        kind = rng.choices(kinds, cum_weights=kind_cum)[0]
        city = rng.choices(CITIES, cum_weights=city_cum)[0]
        name = f"{rng.choice(SHOP_WORDS)} {rng.choice(KINDS[kind][2])}"
        used_names[name] += 1
        if used_names[name] > 1:
            name = f"{name} {city.name}" if used_names[name] == 2 else f"{name} {used_names[name]}"
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:33].strip("-") + f"-{i + 1:04d}"
        shops.append(
            ShopSpec(slug=slug, name=name, kind=kind, city=city, branches=branches_n[i], variants=variants_n[i])
        )
    merchants = Merchant.objects.bulk_create(
        Merchant(
            name=s.name, slug=s.slug, schema_name="m_" + s.slug.replace("-", "_"), status="active", area=s.city.name
        )
        for s in shops
    )
    for shop, merchant in zip(shops, merchants, strict=True):
        shop.id = merchant.pk

    branch_rows = []
    for shop in shops:
        for b in range(1, shop.branches + 1):
            city = shop.city if b == 1 or rng.random() < 0.85 else rng.choices(CITIES, cum_weights=city_cum)[0]
            lat, lng, area = place(rng, city, centre=0.70, town=0.22)
            delivery = rng.random() < 0.60
            cells = cells_of(lat, lng)
            branch_rows.append(
                (
                    shop.id,
                    b,
                    shop.id * 10,
                    shop.slug,
                    shop.name,
                    "main",
                    f"{shop.name}: {shop.kind} in {city.name}.",
                    area,
                    f"Shop {rng.randint(1, 60)}, {area}, {city.name}",
                    area,
                    city.name,
                    f"+92{rng.randint(2100000000, 9199999999)}",
                    lat,
                    lng,
                    cells["h3_r6"],
                    cells["h3_r7"],
                    cells["h3_r8"],
                    "{}",
                    "{}",
                    rng.random() < 0.95 or not delivery,
                    delivery,
                    delivery and rng.random() < 0.2,
                    money(rng.choice((2, 3, 4, 5, 6, 8))) if delivery else Decimal("0.00"),
                    money(rng.choice((0, 50, 100, 150))) if delivery else Decimal("0.00"),
                    money(rng.choice((0, 500, 1000))) if delivery else Decimal("0.00"),
                    "PKR",
                    1,
                    datetime.now(UTC),
                )
            )
    timings["merchants, branches, categories (ORM + COPY)"] = time.perf_counter() - started

    # -- products and variants (Python), tsvector per variant and listings = variant x branch (SQL) ----------------
    started = time.perf_counter()
    brands = synthetic_brands(rng, SYNTHETIC_BRANDS)
    brand_cum = zipf_cum(len(brands), 1.05)
    noun_cum = {leaf: zipf_cum(len(spec.nouns), 1.1) for leaf, spec in LEAVES.items()}
    real_brand_cum = {leaf: zipf_cum(len(spec.brands), 1.0) for leaf, spec in LEAVES.items() if spec.brands}
    leaf_cum = {root: zipf_cum(len(leaves), 0.7) for root, leaves in leaves_by_root.items()}
    modifier_cum = zipf_cum(len(MODIFIERS), 1.0)
    end = datetime(2026, 11, 1, tzinfo=UTC)
    word_df: Counter[str] = Counter()  # listings whose title holds the word
    pair_df: Counter[str] = Counter()  # adjacent title word pairs
    noun_words: set[str] = set()
    brand_words: set[str] = set()
    variant_rows = []
    for shop in shops:
        roots = list(KINDS[shop.kind][1])
        root_cum = list(_cum([KINDS[shop.kind][1][r] for r in roots]))
        variant_id = product_id = 0
        while variant_id < shop.variants:
            product_id += 1
            root = rng.choices(roots, cum_weights=root_cum)[0]
            leaf = rng.choices(leaves_by_root[root], cum_weights=leaf_cum[root])[0]
            spec = LEAVES[leaf]
            noun = rng.choices(spec.nouns, cum_weights=noun_cum[leaf])[0]
            parts = []
            u = rng.random()
            if spec.brands and u < 0.45:
                brand = rng.choices(spec.brands, cum_weights=real_brand_cum[leaf])[0]
            elif u < 0.75:
                brand = rng.choices(brands, cum_weights=brand_cum)[0]
            else:
                brand = ""
            if brand:
                parts.append(brand)
                brand_words.update(words_of(brand))
            if rng.random() < 0.35:
                parts.append(rng.choices(MODIFIERS, cum_weights=modifier_cum)[0])
            if spec.flavours and rng.random() < 0.3:
                parts.append(rng.choice(spec.flavours))
            parts.append(noun)
            noun_words.update(words_of(noun))
            title = " ".join(p if p[0].isupper() else p.title() for p in parts)
            description = (
                f"{rng.choice(MODIFIERS).capitalize()} {noun} {rng.choice(DESCRIPTION_TAILS)}"
                if rng.random() < 0.55
                else ""
            )
            tags = rng.sample(TAGS, k=rng.choices((0, 1, 2), weights=(0.5, 0.35, 0.15))[0])
            price = rng.lognormvariate(math.log(spec.price), 0.6)
            listed_at = end - timedelta(seconds=rng.uniform(0, 365 * 86400))
            popularity = (rng.paretovariate(1.2) - 1.0) * 10 if rng.random() < 0.7 else 0.0
            image = f"bench/m{shop.id}/p{product_id}" if rng.random() < 0.85 else ""
            sizes = list(spec.sizes)
            n_variants = min(len(sizes), rng.choices((1, 2, 3, 4), weights=(0.5, 0.3, 0.15, 0.05))[0])
            n_variants = min(n_variants, shop.variants - variant_id)
            start = rng.randrange(0, len(sizes) - n_variants + 1)
            title_words = words_of(title)
            for k in range(n_variants):
                variant_id += 1
                variant_rows.append(
                    (
                        shop.id,
                        product_id,
                        variant_id,
                        title,
                        sizes[start + k],
                        description,
                        ids[leaf],
                        " ".join(tags),
                        json.dumps(tags),
                        f"{shop.slug[:12].upper()}-{variant_id}",
                        money(price * (1 + 0.8 * k)),
                        listed_at,
                        round(popularity, 3),
                        image,
                    )
                )
            listings = n_variants * shop.branches
            for w in set(title_words):
                word_df[w] += listings
            for a, b in itertools.pairwise(title_words):
                pair_df[f"{a} {b}"] += listings
    timings["products and variants (Python)"] = time.perf_counter() - started

    conninfo = os.environ["DATABASE_URL"]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET work_mem = '256MB'")
        started = time.perf_counter()
        with conn.cursor().copy(
            "COPY public.listings_branchlisting (merchant_id, branch_id, store_id, merchant_slug, store_name, "
            "store_slug, store_description, branch_name, address, area, city, phone, latitude, longitude, h3_r6, "
            "h3_r7, h3_r8, opening_hours, hours_exceptions, offers_pickup, offers_delivery, offers_partner_delivery, "
            "delivery_radius_km, delivery_fee, delivery_min_order, currency, version, indexed_at) FROM STDIN"
        ) as copy:
            for row in branch_rows:
                copy.write_row(row)
        conn.execute(
            "CREATE UNLOGGED TABLE bench_stage (merchant_id bigint, product_id bigint, variant_id bigint, title text, "
            "variant_name text, description text, category_id bigint, tags_text text, tags jsonb, sku text, "
            "price numeric(12,2), listed_at timestamptz, popularity float8, image text)"
        )
        with conn.cursor().copy("COPY bench_stage FROM STDIN") as copy:
            for row in variant_rows:
                copy.write_row(row)
        timings[f"COPY {len(variant_rows):,} variants + {len(branch_rows):,} branches"] = time.perf_counter() - started
        del variant_rows

        started = time.perf_counter()  # the sync's tsvector (sync.py _SOURCE), once per variant
        conn.execute(
            """CREATE UNLOGGED TABLE bench_variant AS
               SELECT s.*,
                      setweight(to_tsvector('english', s.title || ' ' || s.variant_name), 'A')
                        || setweight(to_tsvector('english', COALESCE(c.name, '') || ' ' || s.tags_text), 'B')
                        || setweight(to_tsvector('english', s.description), 'C') AS search
               FROM bench_stage s LEFT JOIN public.categories_category c ON c.id = s.category_id"""
        )
        timings["tsvector per variant (CREATE TABLE AS)"] = time.perf_counter() - started

        # Indexes and constraints are rebuilt after the load, with the definitions the migrations made.
        started = time.perf_counter()
        constraints = conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'public.listings_listing'::regclass AND contype IN ('u', 'f')"
        ).fetchall()
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'listings_listing' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'public.listings_listing'::regclass AND contype IN ('p', 'u'))"
        ).fetchall()
        for name, _ in constraints:
            conn.execute(f'ALTER TABLE public.listings_listing DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            conn.execute(f'DROP INDEX public."{name}"')
        # Pseudo-random per (variant, branch), stable across runs: branch price offers ~10 %, out of stock ~15 %.
        u = "((hashtextextended(v.merchant_id || ':' || v.variant_id || ':' || b.branch_id, {k}) & 2147483647)::float8 / 2147483648.0)"  # noqa: E501
        conn.execute(
            f"""INSERT INTO public.listings_listing (
                    merchant_id, branch_id, variant_id, product_id, store_id, merchant_slug, store_name, store_slug,
                    branch_name, title, variant_name, description, category_id, tags, sku, price, regular_price,
                    currency, in_stock, available, image_public_id, latitude, longitude, h3_r6, h3_r7, h3_r8,
                    offers_pickup, offers_delivery, delivery_radius_km, search, popularity, listed_at, version,
                    source_updated_at, indexed_at)
                SELECT v.merchant_id, b.branch_id, v.variant_id, v.product_id, b.store_id, b.merchant_slug,
                       b.store_name, b.store_slug, b.branch_name, v.title, v.variant_name, v.description,
                       v.category_id, v.tags, v.sku,
                       CASE WHEN {u.format(k=1)} < 0.10
                            THEN greatest(0.01, round(v.price * (0.70 + 0.25 * {u.format(k=2)})::numeric, 2))
                            ELSE v.price END,
                       v.price, 'PKR', {u.format(k=3)} >= 0.15,
                       CASE WHEN {u.format(k=3)} >= 0.15 THEN 1 + floor({u.format(k=4)} * 80)::int ELSE 0 END,
                       v.image, b.latitude, b.longitude, b.h3_r6, b.h3_r7, b.h3_r8,
                       b.offers_pickup, b.offers_delivery, b.delivery_radius_km, v.search,
                       round((v.popularity * (0.5 + {u.format(k=5)}))::numeric, 3)::float8, v.listed_at, 1,
                       v.listed_at, now()
                FROM bench_variant v
                JOIN public.listings_branchlisting b ON b.merchant_id = v.merchant_id
                ORDER BY v.merchant_id, v.variant_id, b.branch_id"""
        )
        timings["INSERT ... SELECT listings (no indexes)"] = time.perf_counter() - started
        started = time.perf_counter()
        for _, definition in indexes:
            conn.execute(definition)
        for name, definition in constraints:
            conn.execute(f'ALTER TABLE public.listings_listing ADD CONSTRAINT "{name}" {definition}')
        timings["indexes and constraints built"] = time.perf_counter() - started
        conn.execute("DROP TABLE bench_stage, bench_variant")

    started = time.perf_counter()
    vocabulary = search_terms_refresh()
    timings[f"search_terms_refresh() ({vocabulary:,} lexemes)"] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in (
            "listings_listing",
            "listings_branchlisting",
            "listings_searchterm",
            "categories_category",
            "tenants_merchant",
            "listings_facetcount",
            "listings_branchsummary",
        ):
            cursor.execute(f"VACUUM (ANALYZE) public.{table}")
        # The load's gigabyte of dirty pages is written now, not by the checkpointer during the first pass measured.
        cursor.execute("CHECKPOINT")
    timings["VACUUM ANALYZE, CHECKPOINT"] = time.perf_counter() - started

    meta = {
        "seed": args.seed,
        "listings": args.listings,
        "merchants": args.merchants,
        "branches": len(branch_rows),
        "variants": sum(s.variants for s in shops),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "timings": timings,
        "word_df": dict(word_df),
        "pair_df": {k: v for k, v in pair_df.items() if v >= 50},
        "nouns": sorted(noun_words),
        "brands": sorted(brand_words),
        "modifiers": [m.lower() for m in MODIFIERS],
        "categories": {slug: {"parent": parents[slug], "name": names[slug]} for slug in ids},
    }
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {META_TABLE} (key text PRIMARY KEY, value jsonb NOT NULL)")
        cursor.execute(f"INSERT INTO {META_TABLE} VALUES ('meta', %s::jsonb)", [json.dumps(meta)])
    return meta


def _cum(weights: list[float]):
    total = 0.0
    for w in weights:
        total += w
        yield total


# ---------------------------------------------------------------------------------------------------------------
# The query mix
# ---------------------------------------------------------------------------------------------------------------

CLASSES: dict[str, float] = {
    "common word": 0.20,
    "rare word": 0.08,
    "two words": 0.10,
    "typo": 0.05,
    "browse, no text": 0.15,
    "root category": 0.07,
    "leaf category": 0.08,
    "price range": 0.06,
    "in stock": 0.06,
    "delivery": 0.06,
    "has offer": 0.05,
    "pickup + leaf + word": 0.04,
}
SORTS = {"relevance": 0.40, "distance": 0.20, "price_asc": 0.12, "price_desc": 0.05, "newest": 0.10, "popular": 0.13}
RADII = {2: 0.25, 5: 0.40, 10: 0.25, 25: 0.07, 50: 0.03}
PRICE_RANGES = (("0", "250"), ("100", "1000"), ("500", "2500"), ("1000", "5000"), ("5000", None), (None, "500"))


@dataclass
class Query:
    cls: str
    params: dict[str, Any]
    http_ms: float = 0.0
    sql_ms: float = 0.0
    statements_ms: float = 0.0  # of sql_ms: the plan's statements, fetches and sums, planning excluded
    total: int = -1
    http_total: int = -1
    cells: int = 0


@dataclass
class Vocabulary:
    common: list[str]
    rare: list[str]
    pairs: list[tuple[str, float]]
    typo_sources: list[str]
    roots: list[str]
    leaves: list[str]
    df: dict[str, int] = field(default_factory=dict)


def vocabulary(meta: dict[str, Any], n_listings: int) -> Vocabulary:
    """Query words by how many listings hold them (the index's real document frequency, via the stemmed
    vocabulary SearchTerm): common nouns, rare words (mostly the long tail of brands), frequent word pairs."""
    from django.db import connection

    words = sorted(set(meta["word_df"]))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w, coalesce(t.listings, 0) FROM unnest(%s::text[]) w "
            "LEFT JOIN public.listings_searchterm t ON t.lexeme = (ts_lexize('english_stem', w))[1]",
            [words],
        )
        df = dict(cursor.fetchall())
    one_word_nouns = {noun for leaf in LEAVES.values() for noun in leaf.nouns if " " not in noun}
    nouns = set(meta["nouns"]) & one_word_nouns
    by_df = sorted((w for w in nouns if df.get(w, 0) > 0), key=lambda w: (-df[w], w))  # ties: stable across runs
    common = by_df[:40]
    low, high = max(3, n_listings // 50_000), max(30, n_listings // 2_000)
    rare = sorted(w for w in words if low <= df.get(w, 0) <= high and meta["word_df"][w] <= high)
    pairs = sorted(meta["pair_df"].items(), key=lambda kv: (-kv[1], kv[0]))[:400]
    typo_sources = [w for w in by_df[:150] if len(w) >= 5]
    cats = meta["categories"]
    return Vocabulary(
        common=common,
        rare=rare,
        pairs=[(p, math.sqrt(n)) for p, n in pairs],
        typo_sources=typo_sources,
        roots=sorted(s for s, c in cats.items() if c["parent"] is None),
        leaves=sorted(s for s, c in cats.items() if c["parent"] is not None),
        df=df,
    )


def typo(rng: random.Random, word: str) -> str:
    """One interior edit (swap, drop, replace) that keeps the first two letters, as most typos do."""
    for _ in range(20):
        i = rng.randrange(2, len(word) - 1)
        kind = rng.choice(("swap", "drop", "replace"))
        if kind == "swap":
            out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        elif kind == "drop":
            out = word[:i] + word[i + 1 :]
        else:
            out = word[:i] + rng.choice("aeioustrnl") + word[i + 1 :]
        if out != word and not word.startswith(out):
            return out
    return word[:2] + word[3:]


def query_mix(rng: random.Random, vocab: Vocabulary, n: int) -> list[Query]:
    classes, class_cum = list(CLASSES), list(_cum(list(CLASSES.values())))
    sorts, sort_cum = list(SORTS), list(_cum(list(SORTS.values())))
    radii, radius_cum = list(RADII), list(_cum(list(RADII.values())))
    city_cum = list(_cum([c.weight for c in CITIES]))
    common_cum = list(_cum([1.0 / math.sqrt(i + 1) for i in range(len(vocab.common))]))
    pair_words, pair_cum = [p for p, _ in vocab.pairs], list(_cum([w for _, w in vocab.pairs]))
    out = []
    for _ in range(n):
        cls = rng.choices(classes, cum_weights=class_cum)[0]
        city = rng.choices(CITIES, cum_weights=city_cum)[0]
        lat, lng, _ = place(rng, city, centre=0.60, town=0.30)
        params: dict[str, Any] = {
            "lat": round(lat, 6),
            "lng": round(lng, 6),
            "radius_km": rng.choices(radii, cum_weights=radius_cum)[0],
        }

        def common() -> str:
            return rng.choices(vocab.common, cum_weights=common_cum)[0]

        if cls == "common word":
            params["q"] = common()
        elif cls == "rare word":
            params["q"] = rng.choice(vocab.rare)
        elif cls == "two words":
            params["q"] = rng.choices(pair_words, cum_weights=pair_cum)[0]
        elif cls == "typo":
            params["q"] = typo(rng, rng.choice(vocab.typo_sources))
        elif cls == "root category":
            params["category"] = rng.choice(vocab.roots)
            if rng.random() < 0.3:
                params["q"] = common()
        elif cls == "leaf category":
            params["category"] = rng.choice(vocab.leaves)
            if rng.random() < 0.3:
                params["q"] = common()
        elif cls == "price range":
            low, high = rng.choice(PRICE_RANGES)
            params.update({k: v for k, v in (("price_min", low), ("price_max", high)) if v is not None})
            if rng.random() < 0.5:
                params["q"] = common()
        elif cls == "in stock":
            params["in_stock"] = True
            if rng.random() < 0.5:
                params["q"] = common()
        elif cls == "delivery":
            params["delivery"] = "delivery"
            if rng.random() < 0.5:
                params["q"] = common()
        elif cls == "has offer":
            params["has_offer"] = True
            if rng.random() < 0.5:
                params["q"] = common()
        elif cls == "pickup + leaf + word":
            params.update(delivery="pickup", category=rng.choice(vocab.leaves), q=common(), in_stock=True)
        params["sort"] = rng.choices(sorts, cum_weights=sort_cum)[0]
        page = rng.choices((1, 2, 3), weights=(0.85, 0.10, 0.05))[0]
        if page > 1:
            params["page"] = page
        out.append(Query(cls=cls, params=params))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Running the queries
# ---------------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_params(params: dict[str, Any]) -> str:
    return urlencode({k: (str(v).lower() if isinstance(v, bool) else v) for k, v in params.items()})


class Server:
    """The Procfile's web command (benchmarks.provisioning.web_command) with one worker on a free port, in this
    environment (DATABASE_URL = bench) plus the Procfile web process's own variables: what `make run` serves."""

    def __init__(self) -> None:
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="search-bench-web-", suffix=".log", delete=False)  # noqa: SIM115
        self.procfile_env, self.command = web_command(port=self.port, workers=1)
        env = dict(os.environ, **self.procfile_env, PLANCKLY_DEV="1", LOG_LEVEL="WARNING")
        self.proc = subprocess.Popen(self.command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self, client: KeepAliveClient, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the web server exited with {self.proc.returncode}: {self.output()}")
            try:
                if client.get("/healthz")[0] == 200:
                    return
            except OSError:  # not listening yet
                client.close()
            time.sleep(0.1)
        raise RuntimeError(f"the web server did not answer /healthz in {timeout:.0f} s: {self.output()}")

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()[-3000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        Path(self.log.name).unlink(missing_ok=True)


class KeepAliveClient:
    """One keep-alive HTTP/1.1 connection, written here: a GET in one `sendall`, the status line and Content-Length
    read from the head, the body read to its length. The time measured is the server's and the loopback's, not a
    client library's: httpx spent ~0.6 ms of its own per request here, http.client (its header parsing) 0.13-0.3
    ms (GET /healthz p50 0.48 vs 0.34 ms). Responses must carry a Content-Length (granian's do)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""

    def get(self, path: str) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=120)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = b""
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        status_line, *headers = head.split(b"\r\n")
        lengths = [int(h.split(b":", 1)[1]) for h in headers if h.lower().startswith(b"content-length:")]
        if not lengths:
            raise RuntimeError(f"no Content-Length in the answer to {path}: {head[:300]!r}")
        while len(rest) < lengths[0]:
            rest += self._recv()
        body, self.buffer = rest[: lengths[0]], rest[lengths[0] :]
        return int(status_line.split()[1]), body

    def _recv(self) -> bytes:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionResetError("the server closed the connection")
        return chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


BLOCK = 100  # queries per block of the interleaved passes


def word_cells_refreshed() -> dict[str, Any]:
    """Run beat's refresh of the frequent words' branch cells (a deployment runs it every five minutes, so the
    searches measured meet what a running deployment has), timed, then again (what each later beat costs when
    nothing changed), and the Redis memory the counts take."""
    from kernel.cache import redis_client
    from marketplace.discovery.branch_cells import WORD_CELLS_MIN_LISTINGS, shared_keys_pattern, word_cells_refresh

    started = time.perf_counter()
    words, counted = word_cells_refresh()
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    word_cells_refresh()
    again_s = time.perf_counter() - started
    client = redis_client()
    size = sum(client.memory_usage(key) or 0 for key in client.scan_iter(match=shared_keys_pattern(), count=1000))
    return {
        "words": words,
        "min_listings": WORD_CELLS_MIN_LISTINGS,
        "counted": counted,
        "seconds": seconds,
        "again_s": again_s,
        "redis_mib": size / 2**20,
    }


def _session_options() -> str:
    """The session settings the app's connections run with (settings DB_SESSION_OPTIONS: jit off, work_mem, no
    parallel workers), so the raw SQL pass measures the same statement under the same settings."""
    from django.conf import settings

    return settings.DATABASES["default"].get("OPTIONS", {}).get("options", "")


def run_passes(
    queries: list[Query], *, warmup: list[Query], conninfo: str, sessions: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both passes over the same queries, interleaved by blocks of BLOCK: HTTP then raw SQL on one block, raw SQL
    then HTTP on the next. Run one after the other, the first pass met a cold server and whatever the machine was
    doing after the load, and the second did not (fresh runs put 2-5 ms between the passes' p50s, reruns 2 ms);
    interleaved, both see the same minutes of the machine, and each leads half the time.

    HTTP: GET /api/v1/search on the Procfile's web server (one worker), one keep-alive client, every answer 200.
    Raw SQL: every statement the API runs for the search, without Django's request handling, the JSON or HTTP:
    search_plan here (its vocabulary lookups: a new word's stems and typo check are statements too, which HTTP paid
    and this pass once did not), then the plan's statements on a plain psycopg connection that binds parameters
    client-side like Django's backend (so both see the same literal SQL and custom plans), with their fetches and the
    per-branch sums between them. Timed from planning to the last fetch."""
    import psycopg

    from marketplace.discovery.schemas import SearchQuery
    from marketplace.discovery.search import search_plan

    server = Server()
    client = KeepAliveClient(server.port)
    http_info: dict[str, Any] = {"wall_s": 0.0}
    sql_info: dict[str, Any] = {"wall_s": 0.0, "plans": {}}
    index = {id(q): i for i, q in enumerate(queries)}

    def http(q: Query) -> float:
        path = f"/api/v1/search?{http_params(q.params)}"
        started = time.perf_counter()
        status, body = client.get(path)
        elapsed = time.perf_counter() - started
        if status != 200:
            raise RuntimeError(f"{q.cls} {q.params}: {status} {body[:300]!r}")
        q.http_total = json.loads(body)["total"]
        return elapsed

    def raw(q: Query, cursor: Any) -> tuple[float, float, Any]:
        query = SearchQuery(**q.params)
        started = time.perf_counter()
        plan = search_plan(query)
        planned = time.perf_counter()
        row = plan.execute(cursor)
        done = time.perf_counter()
        return done - started, done - planned, (plan, row)

    try:
        with psycopg.connect(
            conninfo, autocommit=True, cursor_factory=psycopg.ClientCursor, options=_session_options()
        ) as conn:
            conn.execute("SET TIME ZONE 'UTC'")  # as Django's connection
            with conn.cursor() as cursor:
                server.wait(client)
                http_info["procfile_env"], http_info["command"] = server.procfile_env, server.command
                for q in warmup:
                    http(q)
                    raw(q, cursor)
                before = sessions()
                for block_no, start in enumerate(range(0, len(queries), BLOCK)):
                    block = queries[start : start + BLOCK]
                    for side in ("http", "raw") if block_no % 2 == 0 else ("raw", "http"):
                        for q in block:
                            if side == "http":
                                q.http_ms = http(q) * 1000
                                http_info["wall_s"] += q.http_ms / 1000
                            else:
                                elapsed, statements, (plan, row) = raw(q, cursor)
                                q.sql_ms, q.statements_ms, q.total = elapsed * 1000, statements * 1000, row[0]
                                q.cells = len(plan.params.get("cells", []))
                                sql_info["plans"][index[id(q)]] = plan
                                sql_info["wall_s"] += elapsed
                http_info["sessions"] = sessions() - before  # the raw connection was opened before
    finally:
        client.close()
        server.stop()
    return http_info, sql_info


_PREFILTER = re.compile(r"l\.h3_r\d = ANY\(%\(cells\)s::bigint\[\]\)")


def run_baseline(queries: list[Query], *, conninfo: str, per_class: int) -> list[tuple[str, int, dict, dict, dict]]:
    """Per class, the statements as served against the naive ones: the plain row statement (every matching row
    counted, a word's index entries everywhere ANDed with the circle's H3 cells: what every search ran before the
    summaries and the per-cell word index), and that statement without the H3 ring prefilter (haversine over
    every row)."""
    import psycopg

    from marketplace.discovery.schemas import SearchQuery
    from marketplace.discovery.search import search_plan

    rows = []
    with psycopg.connect(
        conninfo, autocommit=True, cursor_factory=psycopg.ClientCursor, options=_session_options()
    ) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        with conn.cursor() as cursor:
            for cls in ("browse, no text", "in stock", "common word", "leaf category", "rare word"):
                sample = [q for q in queries if q.cls == cls and q.params["radius_km"] in (2, 5, 10)][:per_class]
                served_ms, rows_ms, naive_ms = [], [], []
                for q in sample:
                    served = search_plan(SearchQuery(**q.params))
                    row_plan = search_plan(SearchQuery(**q.params), summaries=False)
                    naive = _PREFILTER.sub("TRUE", row_plan.sql)
                    assert naive != row_plan.sql, "the prefilter condition was not found in the statement"
                    naive_plan = dataclasses.replace(row_plan, sql=naive)
                    for plan, into in ((served, served_ms), (row_plan, rows_ms), (naive_plan, naive_ms)):
                        t0 = time.perf_counter()
                        total = plan.execute(cursor)[0]
                        into.append((time.perf_counter() - t0) * 1000)
                        assert total == q.total, f"baseline total {total} != {q.total} for {q.params}"
                rows.append((cls, len(sample), stats(served_ms), stats(rows_ms), stats(naive_ms)))
    return rows


def stats(ms: list[float]) -> dict[str, float]:
    if not ms:
        return {"n": 0, "p50": math.nan, "p90": math.nan, "p99": math.nan, "max": math.nan, "mean": math.nan}
    return {
        "n": len(ms),
        "p50": statistics.median(ms),
        "p90": percentile(ms, 90),
        "p99": percentile(ms, 99),
        "max": max(ms),
        "mean": statistics.fmean(ms),
    }


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 100 - len(title)), flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--listings", type=int, default=1_000_000, help="listing rows (default 1,000,000)")
    parser.add_argument("--merchants", type=int, default=1000, help="merchants (default 1,000)")
    parser.add_argument("--queries", type=int, default=2000, help="measured queries (default 2,000)")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up queries, not measured (default 200)")
    parser.add_argument("--baseline", type=int, default=25, help="queries per class without the prefilter (25)")
    parser.add_argument("--seed", type=int, default=6, help="seed of the data and of the query mix (default 6)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--reuse", metavar="NAME", help="measure an existing kept database; no generation, kept")
    parser.add_argument("--db-name", default=None, help="bench database name (default: <DATABASE_URL name>_search)")
    args = parser.parse_args()
    if args.listings < args.merchants * 10 or args.merchants < 10 or args.queries < 10:
        parser.error("need --merchants >= 10, --listings >= 10 x merchants and --queries >= 10")

    run_started = time.perf_counter()
    if args.reuse:
        url, name = bench_database_url(source_database_url(), args.reuse)
        with maintenance_connect(url) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                sys.exit(f"--reuse: database {name} does not exist")
        os.environ["DATABASE_URL"] = url
        return run(args, name, run_started, reused=True)
    with bench_database(name=args.db_name, suffix="search", keep=args.keep) as (_, bench_name):
        return run(args, bench_name, run_started, reused=False)


def run(args: argparse.Namespace, bench_name: str, run_started: float, *, reused: bool) -> int:

    import django

    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    conninfo = os.environ["DATABASE_URL"]
    timings: dict[str, float] = {}
    if reused:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'meta'")
            meta = cursor.fetchone()[0]
            meta = json.loads(meta) if isinstance(meta, str) else meta
        timings = meta["timings"]
    else:
        started = time.perf_counter()
        call_command("migrate_schemas", "--shared", verbosity=0)
        timings["migrate_schemas --shared"] = time.perf_counter() - started
        section(f"Generating {args.listings:,} listings of {args.merchants:,} merchants (seed {args.seed})")
        meta = generate(args, timings)
    generation_s = sum(v for k, v in timings.items() if k != "migrate_schemas --shared")
    for step, seconds in timings.items():
        print(f"  {step:<58} {seconds:7.1f} s")
    print(f"  {'generation total':<58} {generation_s:7.1f} s{' (when it was generated)' if reused else ''}")

    # -- machine and data ------------------------------------------------------------------------------------------
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT version(), current_setting('server_version'), current_setting('shared_buffers'), "
            "current_setting('work_mem'), current_setting('effective_cache_size'), current_setting('jit'), "
            "current_setting('random_page_cost'), current_setting('max_parallel_workers_per_gather')"
        )
        pg_full, pg_version, shared_buffers, work_mem, cache_size, jit, rpc, parallel = cursor.fetchone()
        cursor.execute(
            "SELECT (SELECT count(*) FROM public.listings_listing),"
            " (SELECT count(*) FROM public.listings_branchlisting),"
            " (SELECT count(DISTINCT merchant_id) FROM public.listings_listing),"
            " (SELECT count(*) FROM public.listings_searchterm),"
            " (SELECT avg(has_offer::int) FROM public.listings_listing),"
            " (SELECT avg((NOT in_stock)::int) FROM public.listings_listing),"
            " (SELECT avg(offers_delivery::int) FROM public.listings_listing)"
        )
        n_listings, n_branches, n_merchants, n_terms, offer_share, oos_share, delivery_share = cursor.fetchone()
        cursor.execute(
            "SELECT c.relname, pg_relation_size(c.oid), pg_total_relation_size(c.oid) FROM pg_class c "
            "WHERE c.oid IN ('public.listings_listing'::regclass, 'public.listings_branchlisting'::regclass, "
            "'public.listings_searchterm'::regclass) ORDER BY 1"
        )
        table_sizes = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
            "WHERE indrelid = 'public.listings_listing'::regclass ORDER BY 2 DESC"
        )
        index_sizes = cursor.fetchall()
        cursor.execute(
            "SELECT n, count(*) FROM (SELECT merchant_id, count(*) n FROM public.listings_listing GROUP BY 1) x "
            "GROUP BY 1 ORDER BY 1"
        )
        per_merchant = [n for n, c in cursor.fetchall() for _ in range(c)]

    def sessions() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
            return cursor.fetchone()[0]

    db = settings.DATABASES["default"]
    server = (db["HOST"] or "localhost") + (f":{db['PORT']}" if db.get("PORT") else "")
    machine = machine_info()
    section("Machine and data")
    print(f"CPU            {machine['cpu']}, {machine['cores']} cores; RAM {machine['ram']}; load {os.getloadavg()}")
    print(f"OS / Python    {machine['os']} / Python {machine['python']}")
    print(f"PostgreSQL     {pg_full}")
    print(
        f"               {server}, shared_buffers={shared_buffers}, work_mem={work_mem}, effective_cache_size="
        f"{cache_size}, jit={jit}, random_page_cost={rpc}, max_parallel_workers_per_gather={parallel}"
    )
    print(
        f"Django         {django.get_version()}, django-tenants {version('django-tenants')}, django-ninja "
        f"{version('django-ninja')}, psycopg {version('psycopg')}, granian {version('granian')}, "
        f"CONN_MAX_AGE={db.get('CONN_MAX_AGE')}"
    )
    print(f"Bench database {bench_name}{' (reused)' if reused else ''}")
    print(
        f"Data           {n_listings:,} listings, {n_merchants:,} merchants, {n_branches:,} branches, {n_terms:,} "
        f"lexemes; offers {offer_share:.1%}, out of stock {oos_share:.1%}, delivering {delivery_share:.1%}"
    )
    print(
        f"               listings per merchant: min {per_merchant[0]:,}, p50 {statistics.median(per_merchant):,.0f}, "
        f"p90 {percentile(per_merchant, 90):,}, p99 {percentile(per_merchant, 99):,}, max {per_merchant[-1]:,}"
    )
    for name, heap, total in table_sizes:
        print(f"               {name}: heap {heap / 2**20:,.0f} MiB, with indexes and TOAST {total / 2**20:,.0f} MiB")
    print("               listings indexes: " + ", ".join(f"{n} {s / 2**20:,.0f} MiB" for n, s in index_sizes))

    # -- queries ---------------------------------------------------------------------------------------------------
    vocab = vocabulary(meta, n_listings)
    rng = random.Random(f"planckly-search-bench:queries:{args.seed}")
    warmup = query_mix(rng, vocab, args.warmup)
    queries = query_mix(rng, vocab, args.queries)
    print(
        f"Query words    {len(vocab.common)} common ({', '.join(vocab.common[:8])}, ...), {len(vocab.rare):,} rare "
        f"(e.g. {', '.join(random.Random(1).sample(vocab.rare, min(5, len(vocab.rare))))}), "
        f"{len(vocab.pairs)} pairs; typos of {len(vocab.typo_sources)} words"
    )
    section("Frequent words counted ahead per branch, as beat keeps them (branch_cells.word_cells_refresh)")
    refresh = word_cells_refreshed()
    print(
        f"{refresh['words']} words (>= {refresh['min_listings']:,} listings), {refresh['counted']:,} word x branch "
        f"fields counted in {refresh['seconds']:.1f} s; a second run (nothing changed) {refresh['again_s']:.2f} s; "
        f"Redis holds them in {refresh['redis_mib']:,.1f} MiB"
    )
    section(
        f"HTTP and raw SQL: {args.queries:,} searches (after {args.warmup} warm-up) each way, interleaved by blocks "
        f"of {BLOCK}"
    )
    http_info, sql_info = run_passes(queries, warmup=warmup, conninfo=conninfo, sessions=sessions)
    mismatched = [q for q in queries if q.total != q.http_total]
    http_all, sql_all = stats([q.http_ms for q in queries]), stats([q.sql_ms for q in queries])
    ratio50, ratio99 = http_all["p50"] / sql_all["p50"], http_all["p99"] / sql_all["p99"]
    for label, s, wall in (("HTTP", http_all, http_info["wall_s"]), ("SQL ", sql_all, sql_info["wall_s"])):
        print(
            f"{label}  p50 {fmt_ms(s['p50'])} ms, p90 {fmt_ms(s['p90'])} ms, p99 {fmt_ms(s['p99'])} ms, "
            f"max {fmt_ms(s['max'])} ms, mean {fmt_ms(s['mean'])} ms; {len(queries) / wall:,.1f} queries/s sequential"
        )
    print(f"HTTP/SQL  p50 {ratio50:.2f}x, p99 {ratio99:.2f}x, mean {http_all['mean'] / sql_all['mean']:.2f}x")
    statements = stats([q.statements_ms for q in queries])
    print(
        f"Of SQL, the statements alone (planning and its vocabulary lookups excluded, as this pass measured until "
        f"2026-11-26): p50 {fmt_ms(statements['p50'])} ms, p99 {fmt_ms(statements['p99'])} ms; HTTP/statements p50 "
        f"{http_all['p50'] / statements['p50']:.2f}x"
    )
    print(f"Server environment from the Procfile's web line: {http_info['procfile_env'] or 'none'}")
    print(
        f"New PostgreSQL sessions during the HTTP pass: {http_info['sessions']:,} for {len(queries):,} requests; "
        f"totals HTTP = SQL for {len(queries) - len(mismatched):,}/{len(queries):,} queries"
    )

    def group(key) -> list[tuple[str, list[Query]]]:
        groups: dict[str, list[Query]] = defaultdict(list)
        for q in queries:
            groups[key(q)].append(q)
        return list(groups.items())

    def group_rows(groups: list[tuple[str, list[Query]]]) -> list[tuple[str, ...]]:
        rows = []
        for name, qs in groups:
            h, s = stats([q.http_ms for q in qs]), stats([q.sql_ms for q in qs])
            ok = h["p50"] <= GOAL_HTTP_P50_MS and h["p99"] <= GOAL_HTTP_P99_MS
            rows.append(
                (
                    name,
                    f"{len(qs):,}",
                    f"{statistics.median(q.total for q in qs):,.0f}",
                    f"{max(q.total for q in qs):,}",
                    fmt_ms(h["p50"]),
                    fmt_ms(h["p99"]),
                    fmt_ms(s["p50"]),
                    fmt_ms(s["p99"]),
                    f"{h['p50'] / s['p50']:.2f}",
                    "ok" if ok else "**miss**",
                )
            )
        return rows

    header = ("", "n", "hits p50", "hits max", "HTTP p50", "HTTP p99", "SQL p50", "SQL p99", "ratio p50", "goal")
    by_class = group_rows(sorted(group(lambda q: q.cls), key=lambda kv: list(CLASSES).index(kv[0])))
    by_radius = group_rows(sorted(group(lambda q: f"{q.params['radius_km']} km"), key=lambda kv: float(kv[0][:-3])))
    by_sort = group_rows(sorted(group(lambda q: q.params["sort"]), key=lambda kv: list(SORTS).index(kv[0])))
    by_page = group_rows(sorted(group(lambda q: f"page {q.params.get('page', 1)}")))
    by_text = group_rows(sorted(group(lambda q: "with text" if q.params.get("q") else "no text")))
    buckets = ((0, 1_000), (1_000, 10_000), (10_000, 50_000), (50_000, 10**9))
    by_hits = group_rows(
        [
            (f"{lo:,}-{hi:,} hits" if hi < 10**9 else f"≥ {lo:,} hits", qs)
            for lo, hi in buckets
            if (qs := [q for q in queries if lo <= q.total < hi])
        ]
    )
    for title, rows in (
        ("Per query class", by_class),
        ("Per radius", by_radius),
        ("Per sort", by_sort),
        ("Per page", by_page),
        ("Text or not", by_text),
        ("Per size of the filtered set (hits)", by_hits),
    ):
        section(title)
        markdown_table(header, rows)

    # -- slowest ---------------------------------------------------------------------------------------------------
    slowest_i = max(range(len(queries)), key=lambda i: queries[i].sql_ms)
    slowest = queries[slowest_i]
    plan = sql_info["plans"][slowest_i]
    section(f"EXPLAIN (ANALYZE, BUFFERS) of the slowest raw SQL query ({fmt_ms(slowest.sql_ms)} ms)")
    print(f"class {slowest.cls!r}, {slowest.total:,} hits, {slowest.cells} cells; params {slowest.params}")
    import psycopg

    with psycopg.connect(
        conninfo, autocommit=True, cursor_factory=psycopg.ClientCursor, options=_session_options()
    ) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        # A search without words runs the summaries' statement, then its page: the first is the one that grows.
        sql, params = (
            (plan.browse.summary_sql(), plan.browse.filters.params) if plan.browse else (plan.sql, plan.params)
        )
        explain = [r[0] for r in conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()]
    print("\n".join(explain))
    top = sorted(queries, key=lambda q: -q.http_ms)[:10]
    print("\nTen slowest over HTTP:")
    for q in top:
        print(
            f"  {fmt_ms(q.http_ms):>7} ms HTTP, {fmt_ms(q.sql_ms):>7} ms SQL, {q.total:>7,} hits  {q.cls}: {q.params}"
        )

    # -- baseline --------------------------------------------------------------------------------------------------
    section(f"Baseline: as served vs the row statement vs no H3 prefilter, {args.baseline} queries/class")
    baseline = run_baseline(queries, conninfo=conninfo, per_class=args.baseline)
    baseline_header = (
        "Class (2/5/10 km)",
        "n",
        "served p50 / p99 ms",
        "row statement p50 / p99 ms",
        "no prefilter p50 / p99 ms",
        "row / served p50",
    )
    baseline_rows = [
        (
            cls,
            str(n),
            f"{fmt_ms(a['p50'])} / {fmt_ms(a['p99'])}",
            f"{fmt_ms(b['p50'])} / {fmt_ms(b['p99'])}",
            f"{fmt_ms(c['p50'])} / {fmt_ms(c['p99'])}",
            f"{b['p50'] / a['p50']:.1f}x",
        )
        for cls, n, a, b, c in baseline
    ]
    markdown_table(baseline_header, baseline_rows)

    # -- goals and markdown ----------------------------------------------------------------------------------------
    p50_ok = http_all["p50"] <= GOAL_HTTP_P50_MS
    p99_ok = http_all["p99"] <= GOAL_HTTP_P99_MS
    ratio_ok = ratio50 <= GOAL_RATIO
    section("Goals")
    print(f"{verdict(p50_ok)}  HTTP p50 <= {GOAL_HTTP_P50_MS:.0f} ms: {fmt_ms(http_all['p50'])} ms")
    print(f"{verdict(p99_ok)}  HTTP p99 <= {GOAL_HTTP_P99_MS:.0f} ms: {fmt_ms(http_all['p99'])} ms")
    print(f"{verdict(ratio_ok)}  HTTP/SQL <= {GOAL_RATIO} at p50: {ratio50:.2f}x (p99 {ratio99:.2f}x)")
    missing = [row[0] for row in by_class if row[-1] != "ok"]
    print(f"Classes missing the latency goal: {', '.join(missing) if missing else 'none'}")

    section("Markdown (docs/benchmarks.md)")
    listing_mib = next(total for name, _, total in table_sizes if name == "listings_listing") / 2**20
    print()
    print(
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram']} RAM; PostgreSQL {pg_version} "
        f"({server}, shared_buffers={shared_buffers}, jit={jit}); Python {machine['python']}, "
        f"Django {django.get_version()}, granian {version('granian')} (WSGI, 1 worker). Data: {n_listings:,} listings, "
        f"{n_merchants:,} merchants, {n_branches:,} branches, {n_terms:,} lexemes; listings table "
        f"{listing_mib:,.0f} MiB with indexes; generated in {generation_s:.0f} s. Query mix: {args.queries:,} "
        f"searches (seed {args.seed}) after {args.warmup} warm-up."
    )
    print()
    markdown_table(
        ("Measure", "HTTP (granian WSGI, 1 worker)", "raw SQL (the same planning and statements)", "Goal"),
        [
            (
                "Latency",
                f"p50 **{fmt_ms(http_all['p50'])} ms**, p90 {fmt_ms(http_all['p90'])}, "
                f"p99 **{fmt_ms(http_all['p99'])} ms**, max {fmt_ms(http_all['max'])}",
                f"p50 {fmt_ms(sql_all['p50'])} ms, p90 {fmt_ms(sql_all['p90'])}, p99 {fmt_ms(sql_all['p99'])}, "
                f"max {fmt_ms(sql_all['max'])}",
                f"p50 ≤ {GOAL_HTTP_P50_MS:.0f} ms: **{verdict(p50_ok)}**; p99 ≤ {GOAL_HTTP_P99_MS:.0f} ms: "
                f"**{verdict(p99_ok)}**",
            ),
            (
                "HTTP / SQL",
                f"p50 **{ratio50:.2f}x**, p99 {ratio99:.2f}x",
                f"over the statements alone (planning excluded): p50 {http_all['p50'] / statements['p50']:.2f}x",
                f"≤ {GOAL_RATIO}: **{verdict(ratio_ok)}**",
            ),
            (
                "Throughput, one sequential client",
                f"{len(queries) / http_info['wall_s']:,.1f} searches/s",
                f"{len(queries) / sql_info['wall_s']:,.1f} statements/s",
                "",
            ),
        ],
    )
    print()
    markdown_table(header, by_class)
    print()
    markdown_table(header, by_radius + by_sort)
    print()
    markdown_table(header, by_hits)
    print()
    markdown_table(baseline_header, baseline_rows)
    if mismatched:
        print(f"\nWARNING: {len(mismatched)} queries had a different total over HTTP than in raw SQL")
    print(f"\nTotal benchmark wall time: {time.perf_counter() - run_started:.0f} s")
    return 0 if p50_ok and p99_ok and ratio_ok and not mismatched else 1


if __name__ == "__main__":
    sys.exit(main())
