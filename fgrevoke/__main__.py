from fgrevoke.cli import main

raise SystemExit(main())
