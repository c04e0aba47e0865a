import pytest
from django.core.exceptions import ValidationError

from shared_apps.categories.models import Category
from shared_apps.categories.selectors import category_tree


@pytest.fixture
def tree(db):
    food = Category.objects.create(slug="food", name="Food", position=2)
    fruit = Category.objects.create(slug="fruit", name="Fruit", parent=food)
    Category.objects.create(slug="citrus", name="Citrus", parent=fruit)
    Category.objects.create(slug="hidden", name="Hidden", parent=food, is_active=False)
    Category.objects.create(slug="under-hidden", name="Under hidden", parent=Category.objects.get(slug="hidden"))
    Category.objects.create(slug="books", name="Books", position=1)
    return food, fruit


def test_descendants_paths_and_order(tree):
    built = category_tree()
    assert [n.slug for n in built.roots] == ["books", "food"]  # position, then name
    food = built.by_slug["food"]
    assert {built.by_id[i].slug for i in built.descendant_ids(food)} == {"food", "fruit", "citrus"}
    assert [n.slug for n in built.path(built.by_slug["citrus"])] == ["food", "fruit", "citrus"]
    assert "under-hidden" not in built.by_slug  # an inactive category hides its subtree


def test_rolled_up_counts(tree):
    built = category_tree()
    counts = built.rolled_up({built.by_slug["citrus"].id: 2, built.by_slug["fruit"].id: 1, None: 5})
    assert counts[built.by_slug["food"].id] == 3 and counts[built.by_slug["citrus"].id] == 2


def test_a_category_cannot_be_moved_under_its_own_subcategory(tree):
    food, fruit = tree
    food.parent = Category.objects.get(slug="citrus")
    with pytest.raises(ValidationError):
        food.full_clean()
    fruit.parent = fruit
    with pytest.raises(ValidationError):
        fruit.full_clean()
