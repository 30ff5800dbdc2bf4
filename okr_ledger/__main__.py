from okr_ledger.cli import main

main()
