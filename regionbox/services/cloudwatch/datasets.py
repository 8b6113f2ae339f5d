"""GetDataset and DisassociateDatasetKmsKey: the one dataset AWS supports, "default", which every
account has in every Region. Its data is encrypted (at rest, in SQLite) with no customer managed
key: regionbox does not serve KMS, so AssociateDatasetKmsKey answers 501 and the dataset never
has a key, which is what GetDataset says (no KmsKeyArn) and why DisassociateDatasetKmsKey finds
none to remove (ResourceNotFoundException, as AWS answers for a dataset without a key)."""

from __future__ import annotations

from regionbox.core.errors import ServiceError


class Datasets:
    def _default(self, ctx, identifier: str) -> str:
        arn = ctx.arn("cloudwatch", "dataset/default")
        if identifier not in ("default", arn):
            raise ServiceError("ResourceNotFoundException", f"Dataset {identifier} does not exist.", 404,
                               ResourceType="Dataset", ResourceId=identifier)
        return arn

    def get_dataset(self, ctx, params: dict) -> dict:
        return {"DatasetId": "default", "Arn": self._default(ctx, params["DatasetIdentifier"])}

    def disassociate_dataset_kms_key(self, ctx, params: dict) -> dict:
        self._default(ctx, params["DatasetIdentifier"])
        raise ServiceError("ResourceNotFoundException", "The dataset default has no associated KMS key.", 404,
                           ResourceType="Dataset", ResourceId="default")
