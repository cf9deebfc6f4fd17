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
    # No mmcv in install_requires: compiled mmcv and mmcv-lite are two
    # distributions of one package, so either would install over the other.
    # requirements/mminstall.txt (the `mim` extra) holds mmseg's mmcv range.
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require=dict(
        # mmpretrain is left out: its torchvision must match torch's build.
        all=list(
            dict.fromkeys(
                read_requirements('requirements/tests.txt') +
                read_requirements('requirements/optional.txt'))),
        tests=read_requirements('requirements/tests.txt'),
        optional=read_requirements('requirements/optional.txt'),
        mim=read_requirements('requirements/mminstall.txt'),
        mmpretrain=read_requirements('requirements/mmpretrain.txt')),
    license='Apache License 2.0',
)
