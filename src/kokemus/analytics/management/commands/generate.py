import json

from django.core.management.base import BaseCommand, CommandError

from kokemus.demo import story


class Command(BaseCommand):
    help = ("Generate synthetic responses (two years ending today) with the planted truths of "
            "kokemus/demo/planted_truths.yaml for the demo organisations, through the bulk "
            "path (COPY on PostgreSQL); rollups are updated in the same run.")

    def add_arguments(self, parser):
        parser.add_argument("--responses", type=int, required=True)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--organisation", help="one demo organisation (default: all)")
        parser.add_argument("--batch-size", type=int, default=story.BATCH)
        parser.add_argument("--analyse-comments", action="store_true",
                            help="then analyse the comments on the fast path (no embeddings), "
                                 "as `kokemus demo` does; otherwise they wait for "
                                 "`kokemus comments reanalyse`")

    def handle(self, *args, **opts):
        from kokemus.demo import load_demo

        if opts["responses"] < 1:
            raise CommandError("--responses must be at least 1")
        truths = story.load_truths()
        if opts["organisation"] and opts["organisation"] not in truths["organisations"]:
            raise CommandError(f"no demo organisation {opts['organisation']!r}; choose from "
                               f"{', '.join(truths['organisations'])}")
        try:
            story.demo_orgs()
        except LookupError:
            # Build the demo organisations first, without the default-size story step.
            with story.skip_demo_step():
                load_demo(stdout=self.stdout)
        stats = story.generate(opts["responses"], seed=opts["seed"],
                               organisation=opts["organisation"],
                               batch_size=opts["batch_size"], stdout=self.stdout)
        if opts["analyse_comments"]:
            from kokemus.demo.analysis import analyse_story_comments

            keys = [opts["organisation"]] if opts["organisation"] else None
            done = analyse_story_comments([o.pk for o in story.demo_orgs(keys).values()],
                                          stdout=self.stdout)
            stats.update(comments_analysed=done["comments"], analyse_s=done["seconds"])
        self.stdout.write(json.dumps(stats))
