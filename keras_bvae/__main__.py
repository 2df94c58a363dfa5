import sys

from keras_bvae.cli import main

sys.exit(main())
