"""mmseg_pseudoseg: PseudoSeg (ICLR 2021) as an MMSegmentation 1.x plug-in."""
from setuptools import find_packages, setup


def read_requirements(path):
    with open(path) as f:
        return [
            line.split('#')[0].strip() for line in f
            if line.split('#')[0].strip()
        ]


setup(
    name='mmseg_pseudoseg',
    version='0.1.0',
    description='PseudoSeg: Designing Pseudo Labels for Semantic '
    'Segmentation, as an MMSegmentation 1.x extension',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['mmseg_pseudoseg', 'mmseg_pseudoseg.*']),
    # The standard split lists (ids) ship with the package; see
    # mmseg_pseudoseg/data_splits/README.md.
    package_data={
        'mmseg_pseudoseg':
        ['data_splits/README.md', 'data_splits/**/*.txt']
    },
    python_requires='>=3.8',
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require=dict(tests=read_requirements('requirements/tests.txt')),
    license='Apache License 2.0',
)
