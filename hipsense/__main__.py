from hipsense.cli import main

raise SystemExit(main())
