"""DynamoDB Streams: the read side of table change logs kept by the dynamodb service."""
