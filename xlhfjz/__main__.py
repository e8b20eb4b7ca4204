from xlhfjz.cli import main

raise SystemExit(main())
