"""Draw a digit: encode and decode a drawing, show its code and where it lands among the test digits."""

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from aecore import drawing, figures
from aecore.figures import drawing as drawing_figures
from aecore.metrics import psnr_from_mse
from ui import classroom, links, runtime_fixes, shared, state, training

runtime_fixes.run_pages_through_app()

CANVAS_PX = 280  # 10 canvas pixels per MNIST pixel

st.title("Draw a digit")
result = training.require_result()
dataset = state.dataset_or_error(result.experiment.data)
if dataset is None:
    st.stop()
shape = dataset.sample_shape
if not dataset.is_image or len(shape) != 2:
    st.info(f"The model was trained on '{dataset.name}', whose samples are not images (shape {shape}), so a "
            "drawing means nothing to it. Train on mnist-5k (the default) and come back.")
    st.stop()
if not links.presenter_mode():
    st.markdown(
        "Draw one digit with the mouse or a finger. It is prepared the way MNIST's digits were (grey, cropped, "
        f"scaled to fit 20×20 pixels in a 28×28 frame, centred by its centre of mass), then the trained model "
        "**encodes** it into its code and **decodes** the code back into an image. The model only knows the "
        "kind of images it was trained on: a letter or a scribble comes back as the nearest thing it knows.")


def _test_codes() -> tuple[np.ndarray, drawing.LatentPlane, np.ndarray]:
    """The test set's codes, their plane and their places on it: once per trained model for the whole server
    (an upload's model: once per session)."""
    def compute():
        codes = result.encode(dataset.x_test).reshape(len(dataset.x_test), -1)
        plane = drawing.LatentPlane(codes)
        return codes, plane, plane.transform(codes)

    return shared.derive("draw_codes", (state.model_id(result),), compute, data=result.experiment.data)


codes, plane, coords = _test_codes()


@st.fragment
def drawing_part() -> None:
    """The pen, the canvas and all that is drawn from the drawing: a stroke or a pen move reruns this part only,
    not the sidebar and the page's top."""
    left, right = st.columns([2, 3], gap="large")
    with left:
        pen = st.slider("Pen width (canvas pixels)", 8, 40, 20, step=2, key="draw_pen",
                        help="MNIST strokes are 2 to 3 pixels wide once scaled to 28×28: about 20 here.")
        canvas = st_canvas(stroke_width=pen, stroke_color="#FFFFFF", background_color="#000000", height=CANVAS_PX,
                           width=CANVAS_PX, drawing_mode="freedraw", return_image_data=True, key="draw_canvas")
        st.caption("White on black, like MNIST. The bin icon under the canvas clears it.")
        classroom.send_drawing_button(canvas.image_data)  # class members: onto the teacher's class map

    rgba = canvas.image_data
    digit = drawing.prepare(rgba, shape) if rgba is not None else None
    code = None
    with right:
        if digit is None:
            st.info("Draw a digit on the black canvas: its reconstruction and its code appear here.")
        else:
            code = result.encode(digit[None]).reshape(1, -1)
            rebuilt = np.clip(result.reconstruct(digit[None]).reshape((1,) + shape), 0, 1)
            error = float(((rebuilt[0] - digit) ** 2).mean())
            share_better = float((result.per_image_test_mse < error).mean() * 100)
            image_px = 190 if links.presenter_mode() else 150
            pair, error_col = st.columns([2, 1])
            pair.plotly_chart(figures.image_grid(
                [np.stack([digit, rebuilt[0]])], ["your drawing → reconstruction"],
                captions=[[f"what the model sees ({shape[0]}×{shape[1]})", "reconstruction"]],
                image_px=image_px), key="draw_images")
            # The error in the same red scale as everywhere else (white = exact), not as another grey image.
            error_col.plotly_chart(figures.image_grid(
                [np.abs(digit - rebuilt[0])[None]], ["|error|"], captions=[["white = exact, red = wrong"]],
                error_rows=[True], image_px=image_px), key="draw_error")
            cols = st.columns(2)
            cols[0].metric("Reconstruction MSE", f"{error:.4f}", help="Mean squared error per pixel, pixels in [0, 1].")
            cols[1].metric("Test digits rebuilt better", f"{share_better:.0f}%",
                           help="Share of the test images whose reconstruction error is lower than your drawing's. "
                                "High: your drawing is unusual for this model.")
            st.caption(f"PSNR {psnr_from_mse(error):.1f} dB (test set: {result.test_psnr:.1f} dB).")

    if code is not None:
        st.subheader(f"The code: {code.shape[1]} number{'s' if code.shape[1] != 1 else ''}")
        st.plotly_chart(drawing_figures.code_bars(code[0], title="Your drawing as the model stores it"),
                        key="draw_code")
        closest = drawing.nearest(codes, code[0], k=8)
        names = [dataset.class_names[dataset.y_test[i]] for i in closest]
        st.plotly_chart(figures.image_grid([dataset.x_test[closest]], ["test images with the closest codes"],
                                           captions=[[f"label {n}" for n in names]], image_px=80),
                        key="draw_neighbours")
        digit_like, majority, votes = drawing.neighbour_verdict(names, error, result.per_image_test_mse)
        if digit_like:
            st.markdown(f"The model has no idea what a label is, yet {votes} of the 8 test images whose codes are "
                        f"closest to your drawing's are **{majority}**s: similar digits get similar codes.")
        else:
            counts = ", ".join(f"{names.count(n)} × {n}" for n in dict.fromkeys(names))
            why = (f"they are a mix of labels ({counts})" if votes < drawing.AGREEING_NEIGHBOURS * len(names) else
                   f"the model rebuilds it worse than {share_better:.0f}% of the test digits")
            st.markdown(f"Your drawing is **unlike the digits the model was trained on**: {why}. Its code lands "
                        "near whatever the model knows best, not in a group of one digit. Draw one clear digit, "
                        "filling the canvas, and the closest codes will mostly share its label.")

    st.subheader("Where your drawing lands among the test digits")
    point = plane.transform(code)[0] if code is not None else None

    def code_map():
        return drawing_figures.latent_map(
            coords, dataset.y_test, dataset.class_names, plane.axis_titles, point=point,
            title=f"Codes of the {len(codes):,} test images" + (" projected on a plane (PCA)" if plane.pca_ else ""))

    # without a drawing the map is the same for everyone on this model
    st.plotly_chart(code_map() if point is not None else shared.derive(
        "draw_code_map", (state.model_id(result),), code_map, data=result.experiment.data), key="draw_latent_map")
    st.caption("Each dot is one test image, coloured by its true label; the star is your drawing. "
               + ("The code has more than 2 numbers, so the plot shows the plane that keeps most of their spread "
                  "(PCA of the codes)." if plane.pca_ is not None else "The code has 2 numbers: these are its axes."))


drawing_part()
