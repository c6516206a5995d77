# Package metadata lives in setup.cfg, as in other OpenMMLab projects.
from setuptools import setup

setup()
