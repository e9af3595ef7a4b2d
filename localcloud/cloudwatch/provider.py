"""localcloud's CloudWatch: moto stores alarms and metric data and answers the API; this provider
evaluates the alarms in the background (evaluator.py) and fills moto's gaps (moto_hooks.py)."""
from localcloud.cloudwatch import moto_hooks
from localcloud.cloudwatch.evaluator import AlarmEvaluator
from localcloud.provider import Provider


class CloudWatchProvider(Provider):
    service = "cloudwatch"

    def __init__(self, cloud):
        super().__init__(cloud)
        moto_hooks.install()
        self.evaluator = AlarmEvaluator(cloud.clock)

    def start(self) -> None:
        self.evaluator.start()

    def reset(self) -> None:
        self.evaluator.reset()

    def stop(self) -> None:
        self.evaluator.stop()


def create(cloud) -> CloudWatchProvider:
    return CloudWatchProvider(cloud)
