from evfault.cli import main

main()
