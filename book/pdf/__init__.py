"""pdf: the print edition laid out and written. edition.py is its face; layout.py lays out
one document, workers.py lays out chunks (chunks.py) in processes with their cache
(cache.py), stitch.py and fonts.py join them; weasy.py is the only module that touches
WeasyPrint's internals, fetch.py the only URL fetcher it gets."""
