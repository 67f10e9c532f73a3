"""Language tools shared by ingest and questions: language, sentences, terms, question types, entities."""
