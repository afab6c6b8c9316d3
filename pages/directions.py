"""Directions in the code space: two groups of test images, the difference of their mean codes as a
direction, digits decoded along it, any image moved along it, and how consistent the direction is."""

import numpy as np
import streamlit as st

from aecore import directions
from aecore.config import stable_hash
from aecore.figures import as_images, image_grid
from aecore.figures import directions as direction_figures
from ui import runtime_fixes, shared, state, training
from ui.safe_text import plain

runtime_fixes.run_pages_through_app()

GROUPINGS = ("Slanted versus upright", "Thin versus thick", "Two classes", "Tick images by hand")
DEFAULT_CLASS = {directions.SLANT: 1, directions.INK: 0}
CANDIDATES = 30  # images offered for ticking by hand


st.title("Directions in the code space")
st.markdown("Take two groups of images that differ in one way — slanted and upright 1s, thin and thick 0s — and "
            "subtract the mean code of the first group from the mean code of the second. If the autoencoder has "
            "learnt that difference, this **direction** works on any image: adding it to a code and decoding "
            "turns an upright digit into a slanted one. The checks at the bottom say whether it really does.")
result = training.require_result()  # in a container of its own: the sections keep their places
dataset = state.dataset_or_error(result.experiment.data)
if dataset is None:
    st.stop()
if not dataset.is_image:
    st.info("This data set is made of points, not images: train on mnist-5k (the default) to explore directions.")
    st.stop()



def memo(key: tuple, compute, store: str = "directions"):
    """Once per server for a built-in data set (thirty students on one model share it), per session for an upload."""
    return shared.derive(store, key, compute, data=result.experiment.data, max_entries=48)


x, labels = dataset.x_test, np.asarray(dataset.y_test)
class_names = [str(c) for c in dataset.class_names]
model_key = state.model_id(result)
data_key = result.experiment.data.key()
codes_raw = memo(("codes", model_key, data_key), lambda: result.encode(x))
code_shape = codes_raw.shape[1:]
codes = codes_raw.reshape(len(codes_raw), -1)


def decode(flat_codes: np.ndarray) -> np.ndarray:
    return result.decode(np.asarray(flat_codes, np.float32).reshape((-1,) + tuple(code_shape)))


def class_box(where, label: str, key: str, default: int) -> int:
    names = list(range(len(class_names)))
    return where.selectbox(label, names, index=min(default, len(names) - 1), key=key,
                           format_func=lambda c: class_names[c])


# --- move any image --------------------------------------------------------------------------------------

@st.fragment(key="directions_move")
def move_any_image(group_a: np.ndarray, direction: np.ndarray, groups_key: str) -> None:
    """Section 3 on its own: its two inputs redraw only the moved image (a fragment rerun)."""
    st.subheader("3 · Move any image along it")
    move_cols = st.columns([1, 2])
    image_number = int(move_cols[0].number_input(
        "Test image number", 0, len(x) - 1, int(group_a[0]), step=1, key=f"directions_image_{groups_key}",
        help="Any test image; it starts at the first image of group A."))
    amount = move_cols[1].slider("How far along the direction (1 = the whole way from A's mean to B's)",
                                 -1.5, 2.5, 1.0, step=0.25, key="directions_amount")

    def figure():
        moved = directions.move(decode, codes[image_number], direction, amount)
        rebuilt = decode(codes[image_number][None])[0]
        return direction_figures.moved(x[image_number], rebuilt, moved, amount, dataset.sample_shape)

    st.plotly_chart(memo((model_key, groups_key, image_number, amount), figure, store="directions_moved"),
                    key="directions_moved")
    st.caption(f"Test image {image_number} (a {plain(class_names[labels[image_number]])}), its reconstruction, "
               f"and its code plus {amount:+.2f} × the direction, decoded.")


@st.fragment(key="directions_explore")
def explore() -> None:
    """Sections 1-4: a move of the page's own inputs reruns this, not the sidebar and the whole app."""
    # --- the two groups ----------------------------------------------------------------------------------

    st.subheader("1 · Two groups of test images")
    controls = st.columns([2, 1, 1])
    grouping = controls[0].radio("Compare", GROUPINGS, key="directions_grouping", horizontal=True)
    try:
        if grouping in GROUPINGS[:2]:
            measure = directions.SLANT if grouping == GROUPINGS[0] else directions.INK
            label = class_box(controls[1], "Digit", f"directions_class_{measure}", DEFAULT_CLASS[measure])
            share = controls[2].slider("Share of the digit in each group", 10, 50, 30, step=5, format="%d %%",
                                       key="directions_share",
                                       help="The images of this digit are ranked by the measure; the lowest and the "
                                            "highest share form the two groups.")
            group_a, group_b = memo(("by_measure", label, measure, share), lambda: directions.groups_by_measure(
                x, labels, label, measure, fraction=share / 100))
            name = plain(class_names[label])
            name_a, name_b = ((f"upright {name}s", f"slanted {name}s") if measure == directions.SLANT
                              else (f"thin {name}s", f"thick {name}s"))
            st.caption("Slant is measured from the image's moments (how far the ink's centre moves sideways per row; "
                       "either way counts), thickness as the amount of ink (the mean grey level).")
        elif grouping == GROUPINGS[2]:
            label_a = class_box(controls[1], "Group A: class", "directions_class_a", 4)
            label_b = class_box(controls[2], "Group B: class", "directions_class_b", 9)
            group_a, group_b = directions.groups_by_class(labels, label_a, label_b)
            name_a, name_b = plain(class_names[label_a]), plain(class_names[label_b])
        else:
            label = class_box(controls[1], "Digit", "directions_class_hand", 1)
            candidates = np.flatnonzero(labels == label)[:CANDIDATES]
            st.plotly_chart(image_grid([as_images(x[candidates[i:i + 15]], dataset.sample_shape)
                                        for i in range(0, len(candidates), 15)],
                                       [f"images {i + 1}–{min(i + 15, len(candidates))}"
                                        for i in range(0, len(candidates), 15)],
                                       captions=[[str(j + 1) for j in range(i, min(i + 15, len(candidates)))]
                                                 for i in range(0, len(candidates), 15)], image_px=56),
                            key="directions_candidates")
            numbers = list(range(1, len(candidates) + 1))
            ticks = st.columns(2)
            picked_a = ticks[0].multiselect("Group A: image numbers", numbers, key=f"directions_hand_a_{label}")
            picked_b = ticks[1].multiselect("Group B: image numbers", numbers, key=f"directions_hand_b_{label}")
            if set(picked_a) & set(picked_b):
                raise ValueError("An image is in both groups: take it out of one of them.")
            if len(picked_a) < 2 or len(picked_b) < 2:
                st.info("Tick at least 2 images for each group (4 or more each make the checks meaningful).")
                st.stop()
            group_a, group_b = candidates[np.array(picked_a) - 1], candidates[np.array(picked_b) - 1]
            name_a, name_b = "your group A", "your group B"
    except ValueError as exc:
        st.error(f"{exc} Choose other groups.")
        st.stop()

    groups_key = stable_hash("directions-groups", tuple(int(i) for i in group_a), tuple(int(i) for i in group_b))
    st.plotly_chart(memo(("groups", data_key, groups_key), lambda: direction_figures.groups(
        x[group_a], x[group_b], name_a, name_b, dataset.sample_shape)), key="directions_groups")
    st.caption(f"The first 10 images of each group, from the test set. A: {len(group_a)} {name_a}; "
               f"B: {len(group_b)} {name_b}.")
    codes_a, codes_b = codes[group_a], codes[group_b]
    direction = directions.direction(codes_a, codes_b)

    # --- digits along the direction -----------------------------------------------------------------------

    st.subheader("2 · Digits decoded along the direction")
    st.plotly_chart(memo(("walk", model_key, groups_key), lambda: direction_figures.walk_strip(
        directions.walk(decode, codes_a, codes_b), directions.WALK_AMOUNTS, dataset.sample_shape)),
        key="directions_walk")
    st.caption(f"Decoded codes: the mean code of A (t = A), moved step by step to the mean code of B (t = B) and "
               f"past it (t = 1.5, 2), or back past A (t = −0.5). The direction is {np.linalg.norm(direction):.2f} "
               f"long in the {codes.shape[1]}-number code space.")

    move_any_image(group_a, direction, groups_key)

    # --- how consistent is it? ---------------------------------------------------------------------------

    st.subheader("4 · How consistent is the direction?")
    if len(group_a) < 4 or len(group_b) < 4:
        st.info("The checks need at least 4 images in each group.")
        st.stop()
    check = memo(("consistency", model_key, groups_key), lambda: directions.consistency(codes_a, codes_b))
    baseline = memo(("baseline", model_key, groups_key), lambda: directions.random_baseline(codes_a, codes_b))
    metrics = st.columns(4)
    metrics[0].metric("Pairs pointing its way", f"{check.cosine_positive:.0%}",
                      help="Each image of A paired with one of B: the share of pairs whose difference has a positive "
                           "cosine with the direction.")
    metrics[1].metric("Mean cosine of pairs", f"{check.cosine_mean:.2f}",
                      help="Mean cosine similarity of the pairs' code differences to the direction. 1: every pair "
                           "differs exactly along it; 0: unrelated.")
    metrics[2].metric("Held-out accuracy", f"{check.held_out_accuracy:.0%}",
                      help=f"Each group split in half {check.splits} times: the direction of one half sorts the other "
                           "half's images into A or B by their position along it. 50 % is chance.")
    metrics[3].metric("Halves agree (cosine)", f"{check.halves_cosine:.2f}",
                      help="Cosine between the directions found on the two halves: 1 when both find the same one.")
    st.markdown(f"For comparison, the same {len(group_a) + len(group_b)} images shuffled into two **random** groups "
                f"(mean of 5 shuffles) give: pairs pointing "
                f"its way {baseline.cosine_positive:.0%}, mean cosine {baseline.cosine_mean:.2f}, held-out accuracy "
                f"{baseline.held_out_accuracy:.0%}, halves agree {baseline.halves_cosine:.2f}. A direction worth the "
                "name scores well above these.")
    st.plotly_chart(memo(("cosines", model_key, groups_key), lambda: direction_figures.cosine_histogram(
        directions.pair_cosines(codes_a, codes_b))), key="directions_cosines")
    st.caption("How the per-pair differences spread around the direction: each bar counts pairs (one image of A, one "
               "of B) by the cosine between their code difference and the mean direction. Bunched near 1: one shared "
               "direction; spread around 0: the mean hides many different differences.")


explore()
