"""The Reliability page's plots, the page as one self-contained HTML file, and the PDF report.

Drawn with matplotlib on this machine (no outside service): SVG for the pages, PDF for print.
"""
