"""A progress bar in a notebook executed by nbclient (as nbmake and nbconvert do) is saved as it finished."""

from __future__ import annotations

from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

LOOP = """for _ in range(40):
    bar.update()
bar.close()"""


def saved_text(make_bar: str) -> str:
    notebook = new_notebook(
        cells=[new_code_cell(make_bar), new_code_cell(LOOP)],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = [o for o in notebook.cells[0].outputs if o.output_type == "display_data"]
    assert len(outputs) == 1, notebook.cells[0].outputs
    return outputs[0]["data"]["text/plain"]


def test_saved_notebook_shows_the_finished_bar() -> None:
    text = saved_text("from convoi_nb._progress import progress_bar\nbar = progress_bar(total=40, desc='creating')")
    assert "100%" in text and "40/40" in text, text


def test_tqdm_alone_saves_the_bar_as_it_began() -> None:
    """What the bar above is for (and proof that the test above can tell the two apart)."""
    text = saved_text("from tqdm.auto import tqdm\nbar = tqdm(total=40, desc='creating')")
    assert "0/40" in text and "100%" not in text, text
