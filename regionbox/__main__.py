from regionbox.cli import main

main()
