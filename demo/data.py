"""Demo data for `manage.py seed_demo`: a neighbourhood marketplace in Lahore, as plain immutable values.

Nothing here touches the database. Everything derived from this module is deterministic: jitter and choices come
from `random.Random` seeded with strings (stable across processes, unlike `hash()`), barcodes from SHA-256, so two
seeds of an empty database produce the same rows. Money is Decimal in PKR (rough 2026 retail prices); coordinates
are Decimal degrees with six places, like `Branch.latitude`.

Shop names are made up; product brands are the ones Lahore shelves actually carry. The tables keep one row per
line (`fmt: off`), which is why this file alone is exempt from the line-length rule.
"""

# ruff: noqa: E501

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# The demo platform admin's authenticator secret (TOTP, 20 bytes hex). Published on purpose: demo data only;
# real admins get a random one from `manage.py create_platform_admin`. `manage.py demo_totp` prints the current code.
DEMO_ADMIN_TOTP_KEY = "3132333435363738393031323334353637383930"

SUPERUSER_PHONE = "+923000000001"
SUPERUSER_NAME = "Platform Admin"

# Lahore's urban area, generously: every demo branch lies inside it (the test checks this).
LAHORE_BBOX = {
    "lat_min": Decimal("31.30"),
    "lat_max": Decimal("31.70"),
    "lng_min": Decimal("74.10"),
    "lng_max": Decimal("74.55"),
}

PAKISTAN_GS1_PREFIX = "896"
CONSOLE_PORT = 8000


# ---------------------------------------------------------------------------------------------------------------
# Categories (public schema)
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategorySpec:
    slug: str
    name: str
    icon: str
    parent: str | None = None  # parent slug; parents are listed before their children


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("grocery", "Grocery", "🛒"),
    CategorySpec("pharmacy", "Pharmacy", "⚕️"),
    CategorySpec("bakery", "Bakery", "🥐"),
    CategorySpec("electronics", "Electronics", "🔌"),
    CategorySpec("fruits-vegetables", "Fruits & Vegetables", "🥦", "grocery"),
    CategorySpec("dairy-eggs", "Dairy & Eggs", "🥛", "grocery"),
    CategorySpec("rice-flour-pulses", "Rice, Flour & Pulses", "🌾", "grocery"),
    CategorySpec("cooking-oil-ghee", "Cooking Oil & Ghee", "🫒", "grocery"),
    CategorySpec("tea-beverages", "Tea & Beverages", "🧃", "grocery"),
    CategorySpec("snacks-biscuits", "Snacks & Biscuits", "🍪", "grocery"),
    CategorySpec("spices-condiments", "Spices & Condiments", "🌶️", "grocery"),
    CategorySpec("household-cleaning", "Household & Cleaning", "🧽", "grocery"),
    CategorySpec("personal-care", "Personal Care", "🧴", "grocery"),
    CategorySpec("medicines", "Medicines", "💊", "pharmacy"),
    CategorySpec("first-aid", "First Aid", "🩹", "pharmacy"),
    CategorySpec("vitamins-supplements", "Vitamins & Supplements", "🌿", "pharmacy"),
    CategorySpec("baby-care", "Baby Care", "🍼", "pharmacy"),
    CategorySpec("breads-naan", "Breads & Naan", "🍞", "bakery"),
    CategorySpec("cakes-pastries", "Cakes & Pastries", "🎂", "bakery"),
    CategorySpec("rusks-biscuits", "Rusks & Biscuits", "🥨", "bakery"),
    CategorySpec("savoury-bakes", "Savoury Bakes", "🥟", "bakery"),
    CategorySpec("mithai", "Mithai", "🍬", "bakery"),
    CategorySpec("mobile-accessories", "Mobile Accessories", "📱", "electronics"),
    CategorySpec("chargers-power-banks", "Chargers & Power Banks", "🔋", "electronics"),
    CategorySpec("audio", "Audio", "🎧", "electronics"),
    CategorySpec("computer-accessories", "Computer Accessories", "🖱️", "electronics"),
    CategorySpec("wearables", "Wearables", "⌚", "electronics"),
    CategorySpec("storage", "Storage", "💾", "electronics"),
)


# ---------------------------------------------------------------------------------------------------------------
# Products (tenant schemas)
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VariantSpec:
    code: str  # goes into the SKU: short, upper case
    name: str  # what the customer reads: "5 kg", "Strip of 10"
    price: Decimal  # PKR, before the merchant's own mark-up or discount


@dataclass(frozen=True)
class ProductSpec:
    name: str
    category: str  # CategorySpec.slug
    brand: str
    option: str  # the variant axis: "size", "pack", "weight", "capacity", "model", ...
    variants: tuple[VariantSpec, ...]
    description: str = ""
    packaged: bool = True  # packaged goods carry an EAN-13; loose produce and fresh bakes do not
    fixed_price: bool = False  # printed retail price (medicines: DRAP-regulated): every merchant charges the same


def _p(
    name: str,
    category: str,
    brand: str,
    option: str,
    variants: list[tuple[str, str, str]],
    description: str = "",
    *,
    packaged: bool = True,
    fixed_price: bool = False,
) -> ProductSpec:
    return ProductSpec(
        name=name,
        category=category,
        brand=brand,
        option=option,
        variants=tuple(VariantSpec(code, label, Decimal(price)) for code, label, price in variants),
        description=description,
        packaged=packaged,
        fixed_price=fixed_price,
    )


# fmt: off
GROCERY: tuple[ProductSpec, ...] = (
    _p("Guard Super Basmati Rice", "rice-flour-pulses", "Guard", "weight", [("1KG", "1 kg", "590"), ("5KG", "5 kg", "2750")], "Extra-long aged grain for biryani and pulao."),
    _p("Super Kernel Basmati Rice (loose)", "rice-flour-pulses", "", "weight", [("1KG", "1 kg", "430"), ("5KG", "5 kg", "2100")], packaged=False),
    _p("Sunridge Chakki Atta", "rice-flour-pulses", "Sunridge", "weight", [("5KG", "5 kg", "720"), ("10KG", "10 kg", "1390")], "Stone-ground whole-wheat flour for roti."),
    _p("Daal Chana", "rice-flour-pulses", "", "weight", [("500G", "500 g", "175"), ("1KG", "1 kg", "340")], packaged=False),
    _p("Daal Masoor", "rice-flour-pulses", "", "weight", [("500G", "500 g", "190"), ("1KG", "1 kg", "370")], packaged=False),
    _p("Daal Mash (white)", "rice-flour-pulses", "", "weight", [("500G", "500 g", "320"), ("1KG", "1 kg", "630")], packaged=False),
    _p("Sugar", "rice-flour-pulses", "", "weight", [("1KG", "1 kg", "185"), ("5KG", "5 kg", "900")], packaged=False ),
    _p("Dalda Cooking Oil", "cooking-oil-ghee", "Dalda", "size", [("1L", "1 litre pouch", "590"), ("3L", "3 litre bottle", "1720"), ("5L", "5 litre bottle", "2850")], "Fortified with vitamins A, D and E."),
    _p("Dalda Banaspati Ghee", "cooking-oil-ghee", "Dalda", "size", [("1KG", "1 kg pouch", "585"), ("5KG", "5 kg tin", "2890")]),
    _p("Sufi Canola Oil", "cooking-oil-ghee", "Sufi", "size", [("1L", "1 litre pouch", "560"), ("5L", "5 litre bottle", "2750")]),
    _p("Nestlé Milkpak UHT Milk", "dairy-eggs", "Nestlé", "size", [("250ML", "250 ml", "95"), ("1L", "1 litre", "320"), ("6X1L", "Pack of 6 x 1 litre", "1890")], "Long-life full-cream milk."),
    _p("Olper's Full Cream Milk", "dairy-eggs", "Olper's", "size", [("1L", "1 litre", "320"), ("15L", "1.5 litre", "470")]),
    _p("Farm Eggs", "dairy-eggs", "", "pack", [("6", "Half dozen", "200"), ("12", "1 dozen", "390"), ("30", "Tray of 30", "960")], packaged=False),
    _p("Nurpur Butter", "dairy-eggs", "Nurpur", "weight", [("100G", "100 g", "330"), ("200G", "200 g", "640")] ),
    _p("Tapal Danedar Tea", "tea-beverages", "Tapal", "weight", [("190G", "190 g", "520"), ("430G", "430 g", "1120"), ("950G", "950 g", "2290")], "Strong granular black tea for doodh patti."),
    _p("Lipton Yellow Label Tea", "tea-beverages", "Lipton", "weight", [("190G", "190 g", "540"), ("475G", "475 g", "1290")]),
    _p("Coca-Cola", "tea-beverages", "Coca-Cola", "size", [("500ML", "500 ml", "110"), ("15L", "1.5 litre", "220"), ("225L", "2.25 litre", "290")]),
    _p("Nestlé Pure Life Water", "tea-beverages", "Nestlé", "size", [("600ML", "600 ml", "70"), ("15L", "1.5 litre", "120")]),
    _p("Lay's Classic Salted", "snacks-biscuits", "Lay's", "size", [("R50", "Rs 50 pack", "50"), ("R100", "Rs 100 pack", "100")]),
    _p("Peek Freans Sooper", "snacks-biscuits", "Peek Freans", "pack", [("TICKY", "Ticky pack", "40"), ("FAMILY", "Family pack", "150")]),
    _p("Shan Biryani Masala", "spices-condiments", "Shan", "weight", [("50G", "50 g", "160"), ("2X50G", "Double pack", "310")]),
    _p("National Iodized Salt", "spices-condiments", "National", "weight", [("800G", "800 g", "75")]),
    _p("National Tomato Ketchup", "spices-condiments", "National", "size", [("300G", "300 g", "260"), ("800G", "800 g", "520")]),
    _p("Mitchell's Mixed Fruit Jam", "spices-condiments", "Mitchell's", "weight", [("450G", "450 g", "560")] ),
    _p("Knorr Chicken Noodles", "snacks-biscuits", "Knorr", "pack", [("1", "Single 66 g", "75"), ("4", "Pack of 4", "290")]),
    _p("Surf Excel Washing Powder", "household-cleaning", "Surf Excel", "weight", [("500G", "500 g", "440"), ("1KG", "1 kg", "850"), ("2KG", "2 kg", "1650")]),
    _p("Harpic Toilet Cleaner", "household-cleaning", "Harpic", "size", [("500ML", "500 ml", "430")]),
    _p("Lemon Max Dishwash Bar", "household-cleaning", "Lemon Max", "size", [("SMALL", "Small bar", "60"), ("LARGE", "Large bar", "110")]),
    _p("Lux Soap", "personal-care", "Lux", "pack", [("1", "1 bar 130 g", "175"), ("3", "Pack of 3", "495")] ),
    _p("Safeguard Soap", "personal-care", "Safeguard", "pack", [("1", "1 bar 130 g", "195")]),
    _p("Colgate MaxFresh Toothpaste", "personal-care", "Colgate", "size", [("75G", "75 g", "230"), ("150G", "150 g", "410")]),
    _p("Sunsilk Shampoo", "personal-care", "Sunsilk", "size", [("185ML", "185 ml", "480"), ("360ML", "360 ml", "890")] ),
)
# fmt: on

# fmt: off
PRODUCE: tuple[ProductSpec, ...] = (
    _p("Potatoes", "fruits-vegetables", "", "weight", [("1KG", "1 kg", "110"), ("5KG", "5 kg", "520")], packaged=False ),
    _p("Onions", "fruits-vegetables", "", "weight", [("1KG", "1 kg", "150"), ("5KG", "5 kg", "720")], packaged=False ),
    _p("Tomatoes", "fruits-vegetables", "", "weight", [("500G", "500 g", "95"), ("1KG", "1 kg", "180")], packaged=False ),
    _p("Garlic (desi)", "fruits-vegetables", "", "weight", [("250G", "250 g", "160"), ("1KG", "1 kg", "620")], packaged=False),
    _p("Ginger", "fruits-vegetables", "", "weight", [("250G", "250 g", "190"), ("1KG", "1 kg", "740")], packaged=False ),
    _p("Green Chillies", "fruits-vegetables", "", "weight", [("250G", "250 g", "70")], packaged=False),
    _p("Lemons", "fruits-vegetables", "", "weight", [("250G", "250 g", "90"), ("1KG", "1 kg", "340")], packaged=False ),
    _p("Fresh Coriander", "fruits-vegetables", "", "pack", [("BUNCH", "1 bunch", "30")], packaged=False),
    _p("Spinach (palak)", "fruits-vegetables", "", "weight", [("1KG", "1 kg", "90")], packaged=False),
    _p("Bananas", "fruits-vegetables", "", "pack", [("6", "Half dozen", "130"), ("12", "1 dozen", "250")], packaged=False),
    _p("Kala Kulu Apples", "fruits-vegetables", "", "weight", [("1KG", "1 kg", "380")], "Crisp red apples from Kalam.", packaged=False),
    _p("Kinnow", "fruits-vegetables", "", "pack", [("12", "1 dozen", "320")], "Sargodha kinnow, in season.", packaged=False),
    _p("Guava", "fruits-vegetables", "", "weight", [("1KG", "1 kg", "220")], packaged=False),
    _p("Chaunsa Mangoes", "fruits-vegetables", "", "weight", [("1KG", "1 kg", "380"), ("5KG", "5 kg box", "1850")], "Multan Chaunsa, in season.", packaged=False),
    _p("Cucumbers", "fruits-vegetables", "", "weight", [("1KG", "1 kg", "120")], packaged=False),
)
# fmt: on

# fmt: off
DAIRY: tuple[ProductSpec, ...] = (
    _p("Fresh Buffalo Milk", "dairy-eggs", "", "size", [("1L", "1 litre", "230"), ("5L", "5 litres", "1130")], "Delivered fresh every morning and evening.", packaged=False),
    _p("Fresh Cow Milk", "dairy-eggs", "", "size", [("1L", "1 litre", "210")], packaged=False),
    _p("Dahi (yogurt)", "dairy-eggs", "", "weight", [("500G", "500 g", "140"), ("1KG", "1 kg", "270")], packaged=False ),
    _p("Sweet Lassi", "dairy-eggs", "", "size", [("GLASS", "Glass", "150"), ("1L", "1 litre", "320")], packaged=False ),
    _p("Desi Ghee", "cooking-oil-ghee", "", "weight", [("500G", "500 g", "1500"), ("1KG", "1 kg", "2900")], "Pure buffalo-milk ghee.", packaged=False),
    _p("Desi Makhan (white butter)", "dairy-eggs", "", "weight", [("250G", "250 g", "520")], packaged=False ),
    _p("Fresh Cream (malai)", "dairy-eggs", "", "weight", [("250G", "250 g", "380")], packaged=False),
    _p("Paneer", "dairy-eggs", "", "weight", [("250G", "250 g", "450")], packaged=False),
    _p("Olper's Full Cream Milk", "dairy-eggs", "Olper's", "size", [("1L", "1 litre", "320")]),
    _p("Nestlé Nesvita Yogurt", "dairy-eggs", "Nestlé", "weight", [("400G", "400 g", "230")]),
    _p("Adam's Cheddar Cheese", "dairy-eggs", "Adam's", "weight", [("200G", "200 g", "780")]),
    _p("Farm Eggs", "dairy-eggs", "", "pack", [("12", "1 dozen", "390"), ("30", "Tray of 30", "960")], packaged=False ),
    _p("Kheer", "dairy-eggs", "", "size", [("CUP", "Clay cup", "180"), ("1KG", "1 kg", "780")], packaged=False ),
)
# fmt: on

# fmt: off
PHARMACY: tuple[ProductSpec, ...] = (
    _p("Panadol 500mg", "medicines", "GSK", "pack", [("S10", "Strip of 10", "45"), ("B200", "Box of 200", "880")], "Paracetamol for pain and fever.", fixed_price=True),
    _p("Panadol Extra", "medicines", "GSK", "pack", [("S10", "Strip of 10", "75")], "Paracetamol with caffeine.", fixed_price=True),
    _p("Brufen 400mg", "medicines", "Abbott", "pack", [("S10", "Strip of 10", "70")], "Ibuprofen.", fixed_price=True ),
    _p("Disprin", "medicines", "Reckitt", "pack", [("S10", "Strip of 10", "40")], fixed_price=True),
    _p("Arinac Forte", "medicines", "Abbott", "pack", [("S10", "Strip of 10", "140")], "For cold and flu symptoms.", fixed_price=True),
    _p("Rigix 10mg", "medicines", "Getz Pharma", "pack", [("S10", "Strip of 10", "110")], "Cetirizine, for allergies.", fixed_price=True),
    _p("Softin 10mg", "medicines", "Hilton Pharma", "pack", [("S10", "Strip of 10", "180")], "Loratadine, non-drowsy.", fixed_price=True),
    _p("Peditral ORS", "medicines", "Searle", "pack", [("1", "1 sachet", "35"), ("20", "Box of 20 sachets", "680")], "Oral rehydration salts, orange flavour.", fixed_price=True),
    _p("ENO Fruit Salt", "medicines", "GSK", "pack", [("1", "1 sachet 5 g", "25"), ("JAR", "Jar 100 g", "420")], fixed_price=True),
    _p("Gaviscon Liquid", "medicines", "Reckitt", "size", [("120ML", "120 ml", "520")], "Heartburn and indigestion.", fixed_price=True),
    _p("Flagyl 400mg", "medicines", "Sanofi", "pack", [("S10", "Strip of 10", "60")], fixed_price=True),
    _p("Strepsils Honey & Lemon", "medicines", "Reckitt", "pack", [("S8", "Strip of 8", "130")], fixed_price=True ),
    _p("Vicks VapoRub", "medicines", "P&G", "size", [("25ML", "25 ml", "360"), ("50ML", "50 ml", "640")]),
    _p("Polyfax Ointment", "first-aid", "GSK", "size", [("20G", "20 g", "260")], fixed_price=True),
    _p("Dettol Antiseptic Liquid", "first-aid", "Dettol", "size", [("120ML", "120 ml", "330"), ("500ML", "500 ml", "1120")]),
    _p("Hansaplast Strips", "first-aid", "Hansaplast", "pack", [("20", "Pack of 20", "220"), ("100", "Pack of 100", "890")]),
    _p("Surgical Face Masks", "first-aid", "", "pack", [("10", "Pack of 10", "120"), ("50", "Box of 50", "480")] ),
    _p("Digital Thermometer", "first-aid", "Omron", "model", [("MC246", "MC-246", "1450")]),
    _p("Cotton Wool Roll", "first-aid", "", "weight", [("100G", "100 g", "180")]),
    _p("CaC-1000 Plus", "vitamins-supplements", "GSK", "pack", [("T10", "Tube of 10 effervescent tablets", "690")], fixed_price=True),
    _p("Surbex-Z", "vitamins-supplements", "Abbott", "pack", [("B30", "Bottle of 30", "980")], fixed_price=True ),
    _p("Centrum Multivitamin", "vitamins-supplements", "Haleon", "pack", [("B30", "Bottle of 30", "2850")] ),
    _p("Nestlé Cerelac Wheat", "baby-care", "Nestlé", "weight", [("175G", "175 g", "690"), ("350G", "350 g", "1280")] ),
    _p("Canbebe Diapers", "baby-care", "Canbebe", "size", [("S3", "Size 3 (medium), 36 pcs", "2350"), ("S4", "Size 4 (large), 30 pcs", "2450")]),
    _p("Johnson's Baby Shampoo", "baby-care", "Johnson's", "size", [("100ML", "100 ml", "420"), ("200ML", "200 ml", "760")]),
    _p("Pampers Baby Wipes", "baby-care", "Pampers", "pack", [("64", "Pack of 64", "690")]),
)
# fmt: on

# fmt: off
BAKERY: tuple[ProductSpec, ...] = (
    _p("Sandwich Bread", "breads-naan", "", "size", [("SMALL", "Small loaf", "140"), ("LARGE", "Large loaf", "230")], "Baked every morning.", packaged=False),
    _p("Milky Bread", "breads-naan", "", "size", [("LARGE", "Large loaf", "250")], packaged=False),
    _p("Brown Bread", "breads-naan", "", "size", [("LARGE", "Large loaf", "270")], packaged=False),
    _p("Tandoori Naan", "breads-naan", "", "pack", [("1", "1 naan", "30"), ("5", "5 naans", "145")], packaged=False ),
    _p("Roghni Naan", "breads-naan", "", "pack", [("1", "1 naan", "70")], packaged=False),
    _p("Sheermal", "breads-naan", "", "pack", [("1", "1 piece", "90")], packaged=False),
    _p("Bakarkhani", "breads-naan", "", "pack", [("6", "Pack of 6", "260")], packaged=False),
    _p("Dinner Rolls", "breads-naan", "", "pack", [("6", "Pack of 6", "190")], packaged=False),
    _p("Cake Rusk", "rusks-biscuits", "", "weight", [("450G", "450 g box", "520"), ("900G", "900 g box", "990")], "Crisp twice-baked cake slices for chai.", packaged=False),
    _p("Plain Rusk", "rusks-biscuits", "", "weight", [("400G", "400 g", "300")], packaged=False),
    _p("Nan Khatai", "rusks-biscuits", "", "weight", [("500G", "500 g", "650"), ("1KG", "1 kg", "1250")], packaged=False),
    _p("Zeera Biscuits", "rusks-biscuits", "", "weight", [("500G", "500 g", "600")], packaged=False),
    _p("Chicken Patties", "savoury-bakes", "", "pack", [("1", "1 piece", "130"), ("6", "Box of 6", "750")], "Flaky puff pastry with spiced chicken.", packaged=False),
    _p("Vegetable Samosa", "savoury-bakes", "", "pack", [("1", "1 piece", "60"), ("6", "Box of 6", "340")], packaged=False),
    _p("Chicken Sandwich", "savoury-bakes", "", "pack", [("1", "1 sandwich", "280")], packaged=False),
    _p("Chicken Tikka Pizza", "savoury-bakes", "", "size", [("S", "Small 7 inch", "750"), ("M", "Medium 10 inch", "1350")], packaged=False),
    _p("Chocolate Fudge Cake", "cakes-pastries", "", "weight", [("1LB", "1 lb", "1350"), ("2LB", "2 lb", "2550")], "Order by noon for same-day pick-up.", packaged=False),
    _p("Pineapple Cake", "cakes-pastries", "", "weight", [("1LB", "1 lb", "1150"), ("2LB", "2 lb", "2150")], packaged=False),
    _p("Plain Tea Cake", "cakes-pastries", "", "weight", [("400G", "400 g", "380")], packaged=False),
    _p("Chocolate Brownie", "cakes-pastries", "", "pack", [("1", "1 piece", "220"), ("4", "Box of 4", "820")], packaged=False),
    _p("Cream Roll", "cakes-pastries", "", "pack", [("1", "1 piece", "90")], packaged=False),
    _p("Glazed Donut", "cakes-pastries", "", "pack", [("1", "1 donut", "160"), ("6", "Box of 6", "900")], packaged=False),
    _p("Gulab Jamun", "mithai", "", "weight", [("500G", "500 g", "800"), ("1KG", "1 kg", "1550")], packaged=False ),
    _p("Mix Mithai", "mithai", "", "weight", [("500G", "500 g", "900"), ("1KG", "1 kg", "1750")], packaged=False ),
)
# fmt: on

# fmt: off
ELECTRONICS: tuple[ProductSpec, ...] = (
    _p("Anker 20W USB-C Charger", "chargers-power-banks", "Anker", "model", [("312", "PowerPort III Nano", "4200")], "Fast-charges iPhone and Android phones."),
    _p("Anker PowerCore Power Bank", "chargers-power-banks", "Anker", "capacity", [("10K", "10,000 mAh", "7900"), ("20K", "20,000 mAh", "11900")]),
    _p("Baseus GaN Charger", "chargers-power-banks", "Baseus", "capacity", [("30W", "30 W", "4800"), ("65W", "65 W", "9500")]),
    _p("Samsung 25W Travel Adapter", "chargers-power-banks", "Samsung", "model", [("EP-TA800", "EP-TA800", "4500")] ),
    _p("Faster Car Charger", "chargers-power-banks", "Faster", "model", [("DUAL", "Dual USB 3.1 A", "1300")] ),
    _p("UGREEN USB-C Cable", "mobile-accessories", "UGREEN", "size", [("1M", "1 m", "1400"), ("2M", "2 m", "1850")] ),
    _p("UGREEN USB-C to Lightning Cable", "mobile-accessories", "UGREEN", "size", [("1M", "1 m", "2600")]),
    _p("Tempered Glass Screen Protector", "mobile-accessories", "", "model", [("IP15", "iPhone 15", "600"), ("A55", "Galaxy A55", "500"), ("RN13", "Redmi Note 13", "450")], "Fitted free at the counter."),
    _p("Silicone Phone Case", "mobile-accessories", "", "model", [("IP15", "iPhone 15", "1100"), ("A55", "Galaxy A55", "900"), ("RN13", "Redmi Note 13", "850")]),
    _p("Phone Tripod with Ring Light", "mobile-accessories", "", "size", [("10IN", "10 inch light", "2600")] ),
    _p("Audionic Airbud 550", "audio", "Audionic", "colour", [("BLK", "Black", "5200"), ("WHT", "White", "5200")], "Wireless earbuds with 30 h battery."),
    _p("Redmi Buds 6 Active", "audio", "Xiaomi", "colour", [("BLK", "Black", "5600")]),
    _p("Samsung Galaxy Buds FE", "audio", "Samsung", "colour", [("GRA", "Graphite", "18500")]),
    _p("JBL Tune 520BT Headphones", "audio", "JBL", "colour", [("BLK", "Black", "13900"), ("BLU", "Blue", "13900")] ),
    _p("Ronin R-7 Bluetooth Speaker", "audio", "Ronin", "colour", [("BLK", "Black", "4300")]),
    _p("Handsfree with Mic (3.5 mm)", "audio", "", "colour", [("WHT", "White", "450")]),
    _p("Logitech Wireless Mouse", "computer-accessories", "Logitech", "model", [("M170", "M170", "2900"), ("M331", "M331 Silent", "4600")]),
    _p("Logitech Keyboard K120", "computer-accessories", "Logitech", "model", [("K120", "K120 wired", "2700")] ),
    _p("HDMI Cable", "computer-accessories", "", "size", [("15M", "1.5 m", "800"), ("3M", "3 m", "1200")]),
    _p("4-Socket Extension Board", "computer-accessories", "", "size", [("3M", "3 m cord", "1900")]),
    _p("Xiaomi Smart Band 9", "wearables", "Xiaomi", "colour", [("BLK", "Midnight Black", "11500")]),
    _p("Ronin R-09 Smart Watch", "wearables", "Ronin", "colour", [("BLK", "Black", "6900")]),
    _p("SanDisk Ultra microSD Card", "storage", "SanDisk", "capacity", [("64GB", "64 GB", "2100"), ("128GB", "128 GB", "3500"), ("256GB", "256 GB", "6400")]),
    _p("SanDisk Cruzer Blade USB Drive", "storage", "SanDisk", "capacity", [("32GB", "32 GB", "1300"), ("64GB", "64 GB", "1900")]),
)
# fmt: on

CATALOGS: dict[str, tuple[ProductSpec, ...]] = {
    "grocery": GROCERY,
    "produce": PRODUCE,
    "dairy": DAIRY,
    "pharmacy": PHARMACY,
    "bakery": BAKERY,
    "electronics": ELECTRONICS,
}

MIN_PRODUCTS, MAX_PRODUCTS = 12, 25  # per merchant; a catalog smaller than MIN is used whole


# ---------------------------------------------------------------------------------------------------------------
# Places (real coordinates of Lahore neighbourhoods' markets)
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    area: str  # the neighbourhood customers name it by
    spot: str  # the market or road the branch sits on; also the branch's name
    latitude: Decimal
    longitude: Decimal


def _place(area: str, spot: str, lat: str, lng: str) -> Place:
    return Place(area, spot, Decimal(lat), Decimal(lng))


PLACES: dict[str, Place] = {
    "liberty": _place("Gulberg III", "Liberty Market", "31.510200", "74.344300"),
    "mm-alam": _place("Gulberg III", "MM Alam Road", "31.513500", "74.350200"),
    "hafeez": _place("Gulberg III", "Hafeez Centre, Main Boulevard", "31.515800", "74.342800"),
    "gulberg-main": _place("Gulberg II", "Main Market", "31.520300", "74.347000"),
    "cavalry": _place("Cavalry Ground", "Cavalry Ground Commercial", "31.502000", "74.369000"),
    "dha3": _place("DHA Phase 3", "Y Block Market", "31.471500", "74.379000"),
    "dha4": _place("DHA Phase 4", "CCA Commercial", "31.463500", "74.391000"),
    "dha5": _place("DHA Phase 5", "CCA Commercial", "31.462500", "74.408500"),
    "dha6": _place("DHA Phase 6", "Main Boulevard Commercial", "31.476000", "74.451000"),
    "model-town": _place("Model Town", "Model Town Link Road", "31.483500", "74.322500"),
    "model-town-ext": _place("Model Town Extension", "M Block Market", "31.468500", "74.330000"),
    "garden-town": _place("New Garden Town", "Barkat Market", "31.503500", "74.321500"),
    "faisal-town": _place("Faisal Town", "Maulana Shaukat Ali Road", "31.480000", "74.305000"),
    "johar-g1": _place("Johar Town", "G1 Market", "31.469000", "74.284000"),
    "johar-emporium": _place("Johar Town", "Abdul Haque Road", "31.467000", "74.266000"),
    "wapda-town": _place("Wapda Town", "Wapda Town Roundabout", "31.431500", "74.264000"),
    "valencia": _place("Valencia Town", "Valencia Commercial", "31.412000", "74.252000"),
    "iqbal-moon": _place("Allama Iqbal Town", "Moon Market", "31.516000", "74.284000"),
    "iqbal-karim": _place("Allama Iqbal Town", "Karim Block Market", "31.512000", "74.279000"),
    "township": _place("Township", "Sector B-2 Market", "31.450500", "74.310500"),
    "bahria-c": _place("Bahria Town", "Sector C Commercial", "31.369000", "74.186000"),
    "bahria-e": _place("Bahria Town", "Sector E Commercial", "31.357000", "74.193000"),
    "cantt-sarwar": _place("Lahore Cantt", "Sarwar Road", "31.527000", "74.379000"),
    "cantt-fortress": _place("Lahore Cantt", "Fortress Square", "31.530500", "74.365000"),
    "shadman": _place("Shadman", "Shadman Market", "31.539000", "74.329000"),
    "samanabad": _place("Samanabad", "Main Boulevard Samanabad", "31.532000", "74.299000"),
    "hall-road": _place("Hall Road", "Hall Road", "31.564500", "74.318500"),
}


# ---------------------------------------------------------------------------------------------------------------
# Merchants
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MerchantSpec:
    slug: str
    name: str
    kind: str  # key of CATALOGS and HOURS
    owner_name: str
    places: tuple[str, ...]  # keys of PLACES, one branch each; the first is the flagship
    delivery_km: Decimal | None  # None: pick-up only
    description: str

    @property
    def area(self) -> str:
        return PLACES[self.places[0]].area


def _m(
    slug: str, name: str, kind: str, owner: str, places: str, delivery_km: str | None, description: str
) -> MerchantSpec:
    return MerchantSpec(
        slug, name, kind, owner, tuple(places.split()), Decimal(delivery_km) if delivery_km else None, description
    )


# fmt: off
MERCHANTS: tuple[MerchantSpec, ...] = (
    _m("gulberg-fresh-mart", "Gulberg Fresh Mart", "grocery", "Usman Tariq", "liberty gulberg-main cavalry", "5", "Everyday groceries, delivered in Gulberg within the hour."),
    _m("madina-cash-carry", "Madina Cash & Carry", "grocery", "Haji Muhammad Aslam", "johar-g1 wapda-town", "4", "Wholesale prices on rice, atta, oil and ghee."),
    _m("rehmat-kiryana", "Rehmat Kiryana Store", "grocery", "Rehmat Ali", "iqbal-karim", "2.5", "Your corner shop in Iqbal Town since 1994."),
    _m("bismillah-super-store", "Bismillah Super Store", "grocery", "Imran Qureshi", "township faisal-town", "4", "Groceries, toiletries and household essentials."),
    _m("defence-daily-needs", "Defence Daily Needs", "grocery", "Sana Malik", "dha5 dha6", "6", "Imported and local groceries for DHA."),
    _m("bahria-grocers", "Bahria Grocers", "grocery", "Kamran Javed", "bahria-c bahria-e", "5", "Groceries across Bahria Town, open late."),
    _m("taza-sabzi", "Taza Sabzi & Fruit", "produce", "Ghulam Rasool", "model-town model-town-ext", "3", "Fresh from Badami Bagh mandi every morning."),
    _m("kisan-fresh-fruits", "Kisan Fresh Fruits", "produce", "Muhammad Akram", "garden-town", "3", "Seasonal fruit: kinnow, guava and Chaunsa mangoes."),
    _m("khalis-doodh-dairy", "Khalis Doodh Dairy", "dairy", "Nadeem Gujjar", "faisal-town township", "2.5", "Fresh buffalo milk, dahi and desi ghee."),
    _m("shadman-milk-centre", "Shadman Milk Centre", "dairy", "Zafar Iqbal", "shadman", "2", "Milk, lassi and kheer, twice a day."),
    _m("shifa-pharmacy", "Shifa Pharmacy", "pharmacy", "Dr. Ayesha Siddiqui", "garden-town model-town", "6", "Medicines, baby care and first aid; a pharmacist on every shift."),
    _m("care-plus-pharmacy", "Care Plus Pharmacy", "pharmacy", "Faisal Rauf", "dha3 dha4 dha5", "6", "Open 24 hours in DHA."),
    _m("sehat-medical-store", "Sehat Medical Store", "pharmacy", "Asif Mehmood", "johar-emporium", "5", "Genuine medicines at printed prices."),
    _m("cantt-chemists", "Cantt Chemists", "pharmacy", "Col. (R) Tahir Aziz", "cantt-sarwar cantt-fortress", "5", "Chemists serving Lahore Cantt."),
    _m("wapda-town-pharmacy", "Wapda Town Pharmacy", "pharmacy", "Shahid Nawaz", "wapda-town valencia", "5", "Medicines and wellness for Wapda Town and Valencia."),
    _m("butt-sweets-bakers", "Butt Sweets & Bakers", "bakery", "Mian Abdul Majeed Butt", "iqbal-moon iqbal-karim", "3", "Mithai, rusks and fresh bakes from Moon Market."),
    _m("crust-and-crumb", "Crust & Crumb Bakery", "bakery", "Hira Farooq", "mm-alam dha6", "4", "Cakes, brownies and sourdough-style breads."),
    _m("model-town-bakers", "Model Town Bakers", "bakery", "Abdul Ghaffar", "model-town", None, "Patties, naan khatai and cake rusk, baked on site."),
    _m("samanabad-bakers", "Samanabad Bakers", "bakery", "Tariq Mahmood", "samanabad", None, "Bakarkhani, sheermal and tea cakes."),
    _m("oven-fresh-bahria", "Oven Fresh Bahria", "bakery", "Saima Khalid", "bahria-c", "4", "Birthday cakes to order, fresh bread daily."),
    _m("hafeez-mobile-zone", "Hafeez Mobile Zone", "electronics", "Adnan Sheikh", "hafeez", "10", "Original chargers, earbuds and phone accessories."),
    _m("techno-gadgets", "Techno Gadgets", "electronics", "Waqas Ahmed", "johar-emporium johar-g1", "8", "Gadgets and accessories with warranty."),
    _m("digital-hub-dha", "Digital Hub DHA", "electronics", "Omer Saeed", "dha3", "8", "Audio, wearables and computer accessories."),
    _m("hall-road-gadgets", "Hall Road Gadgets", "electronics", "Haji Bashir Ahmed", "hall-road cantt-sarwar", None, "Hall Road prices; pick-up from the shop."),
)
# fmt: on

# The first merchant also gets one member of every staff role, for trying the console's scopes.
DEMO_MERCHANT_SLUG = MERCHANTS[0].slug


@dataclass(frozen=True)
class StaffSpec:
    phone: str
    name: str
    role: str  # tenant_apps.staff.models.Role value
    branch_index: int | None = None  # which of the merchant's branches (branch_manager, employee)
    duties: tuple[str, ...] = ()


DEMO_STAFF: tuple[StaffSpec, ...] = (
    StaffSpec("+923001000101", "Ayesha Khan", "shop_owner"),
    StaffSpec("+923001000102", "Bilal Ahmed", "branch_manager", branch_index=0),
    StaffSpec("+923001000103", "Fahad Iqbal", "employee", branch_index=0, duties=("process_orders", "update_stock")),
)


def owner_phone(index: int) -> str:
    """Owner of MERCHANTS[index]: +923001000001, +923001000002, ... (valid Jazz mobile numbers, region PK)."""
    return f"+92300100{index + 1:04d}"


# ---------------------------------------------------------------------------------------------------------------
# Deterministic derivations
# ---------------------------------------------------------------------------------------------------------------

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_JUMMA_BREAK = ("12:45", "14:30")  # most shops close for Friday prayers


def _week(open_: str, close: str, *, jumma: bool = True, closed: tuple[str, ...] = ()) -> dict[str, list[list[str]]]:
    hours: dict[str, list[list[str]]] = {}
    for day in WEEK:
        if day in closed:
            hours[day] = []
        elif jumma and day == "fri":
            hours[day] = [[open_, _JUMMA_BREAK[0]], [_JUMMA_BREAK[1], close]]
        else:
            hours[day] = [[open_, close]]
    return hours


HOURS: dict[str, dict[str, list[list[str]]]] = {
    "grocery": _week("09:00", "23:00"),
    "produce": _week("07:00", "21:00"),
    "dairy": {day: [["05:30", "11:00"], ["16:00", "22:30"]] for day in WEEK},
    "pharmacy": _week("09:00", "23:30", jumma=False),
    "pharmacy-24h": {day: [["00:00", "23:59"]] for day in WEEK},
    "bakery": _week("07:00", "23:00", jumma=False),
    "electronics": _week("11:00", "21:00", closed=("sun",)),
}


def opening_hours(spec: MerchantSpec) -> dict[str, list[list[str]]]:
    """A fresh copy (the JSON field must not share lists between rows). Care Plus is the 24-hour pharmacy."""
    key = "pharmacy-24h" if spec.slug == "care-plus-pharmacy" else spec.kind
    return {day: [list(span) for span in spans] for day, spans in HOURS[key].items()}


def jitter_coordinates(place: Place, seed: str) -> tuple[Decimal, Decimal]:
    """`place` moved by up to ~300 m each way, the same for the same seed. Six decimal places, like Branch."""
    rng = random.Random(f"planckly-demo:coords:{seed}")
    dlat = Decimal(rng.randint(-2700, 2700)).scaleb(-6)  # 1e-6 degree of latitude ≈ 0.11 m
    dlng = Decimal(rng.randint(-3100, 3100)).scaleb(-6)  # ≈ 0.095 m at 31.5° N
    return place.latitude + dlat, place.longitude + dlng


def landline(seed: str) -> str:
    """A Lahore PTCL number (+92 42 35xx xxxx), the same for the same seed."""
    rng = random.Random(f"planckly-demo:phone:{seed}")
    return f"+924235{rng.randint(100000, 999999)}"


def street_address(place: Place, seed: str) -> str:
    rng = random.Random(f"planckly-demo:address:{seed}")
    return f"Shop {rng.randint(1, 48)}, {place.spot}, {place.area}, Lahore"


def products_for(spec: MerchantSpec) -> list[ProductSpec]:
    """MIN..MAX products of the merchant's catalog, the same choice on every run, in catalog order."""
    catalog = CATALOGS[spec.kind]
    rng = random.Random(f"planckly-demo:products:{spec.slug}")
    count = rng.randint(min(len(catalog), MIN_PRODUCTS), min(len(catalog), MAX_PRODUCTS))
    chosen = set(rng.sample(range(len(catalog)), count))
    return [product for index, product in enumerate(catalog) if index in chosen]


def _price_step(price: Decimal) -> Decimal:
    if price < 100:
        return Decimal(1)
    if price < 1000:
        return Decimal(5)
    if price < 10000:
        return Decimal(10)
    return Decimal(50)


def merchant_price(base: Decimal, *, merchant_slug: str, sku: str, fixed: bool) -> Decimal:
    """`base` moved by -4 % .. +6 % per merchant and SKU, rounded to a shelf-friendly step; never below 1 rupee.

    Fixed (printed, regulated) prices are returned unchanged. Pure Decimal arithmetic: no float ever touches money.
    """
    if fixed:
        return base.quantize(Decimal("0.01"))
    rng = random.Random(f"planckly-demo:price:{merchant_slug}:{sku}")
    moved = base * (Decimal(100 + rng.randint(-4, 6)) / Decimal(100))
    step = _price_step(base)
    rounded = (moved / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    return max(rounded, Decimal(1)).quantize(Decimal("0.01"))


def sku_prefix(slug: str) -> str:
    """Initials of the slug's words: gulberg-fresh-mart -> GFM."""
    return "".join(word[0] for word in slug.split("-")).upper()


def ean13(product: ProductSpec, variant: VariantSpec) -> str:
    """A well-formed EAN-13 with Pakistan's GS1 prefix, the same for a product at every merchant (like real ones)."""
    digest = hashlib.sha256(f"{product.brand}|{product.name}|{variant.code}".encode()).hexdigest()
    body = PAKISTAN_GS1_PREFIX + f"{int(digest, 16) % 10**9:09d}"
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(body))
    return body + str((10 - total % 10) % 10)
