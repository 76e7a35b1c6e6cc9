"""Export the marts to Parquet for BI tools (see customer_value.exports).

Usage: python scripts/export_marts.py [--database PATH] [--out DIR] [--tables a,b]
"""

import sys

from customer_value.exports import main

if __name__ == "__main__":
    sys.exit(main())
